#include <chrono>
#include <cmath>

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
  double now() const override { return steady_now(); }
};

}  // namespace

double Clock::steady_now() const {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void Clock::wait_until(std::condition_variable& wakeup, std::unique_lock<std::mutex>& lock,
                       double deadline) const {
  using namespace std::chrono;
  if (!std::isfinite(deadline)) {
    wakeup.wait(lock);
    return;
  }
  wakeup.wait_until(lock, steady_clock::time_point(
                              duration_cast<steady_clock::duration>(duration<double>(deadline))));
}

std::shared_ptr<Clock> system_clock() {
  static const auto clock = std::make_shared<SystemClock>();
  return clock;
}

std::shared_ptr<Clock> monotonic_clock() {
  static const auto clock = std::make_shared<MonotonicClock>();
  return clock;
}

}  // namespace headway
