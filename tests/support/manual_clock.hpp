#pragma once

#include <mutex>

#include "headway/clock.hpp"

namespace headway::test {

// A clock the test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(double start = 1'700'000'000.0) : now_(start) {}
  double now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(double seconds) {
    std::lock_guard lock(mutex_);
    now_ += seconds;
  }

 private:
  mutable std::mutex mutex_;
  double now_;
};

}  // namespace headway::test
