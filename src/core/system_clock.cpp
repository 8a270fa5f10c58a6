#include <chrono>

#include "core/monotonic_clock.hpp"
#include "headway/clock.hpp"

namespace headway {
namespace {

class SystemClock final : public Clock {
 public:
  double now() const override {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
  }
};

class MonotonicClock final : public Clock {
 public:
  double now() const override {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static const auto clock = std::make_shared<SystemClock>();
  return clock;
}

std::shared_ptr<Clock> monotonic_clock() {
  static const auto clock = std::make_shared<MonotonicClock>();
  return clock;
}

}  // namespace headway
