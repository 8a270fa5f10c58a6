#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "headway/clock.hpp"

namespace headway::test {

// A clock the test moves by hand. Its timers follow it too: a thread waiting
// in wait_until() sleeps, however long it takes, until advance() reaches its
// deadline, and wait_until_parked() tells the test when the code under test
// has done all that was due and gone back to sleep, so that tests await
// events instead of sleeping.
//
// advance() must not run while an object waiting on this clock is destroyed
// (in a test, both happen on the test's own thread).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(double start = 1'700'000'000.0) : now_(start) {}

  double now() const override {
    std::lock_guard guard(mutex_);
    return now_;
  }
  double steady_now() const override { return now(); }

  void wait_until(std::condition_variable& wakeup, std::unique_lock<std::mutex>& lock,
                  double deadline) const override {
    std::unique_lock guard(mutex_);
    if (deadline <= now_)
      return;
    const std::uint64_t id = next_waiter_++;
    waiters_.push_back({id, &wakeup, lock.mutex(), deadline});
    parked_.notify_all();
    guard.unlock();
    // advance() notifies while holding the waiter's mutex, which `lock` keeps
    // until wait() releases it: no wakeup falls between the check and the wait.
    wakeup.wait(lock);
    guard.lock();
    std::erase_if(waiters_, [id](const Waiter& waiter) { return waiter.id == id; });
  }

  void advance(double seconds) {
    std::vector<Waiter> due;
    {
      std::lock_guard guard(mutex_);
      now_ += seconds;
      for (const auto& waiter : waiters_) {
        if (waiter.deadline <= now_)
          due.push_back(waiter);
      }
    }
    for (const auto& waiter : due) {
      std::lock_guard hold(*waiter.mutex);
      waiter.wakeup->notify_all();
    }
  }

  // Blocks until `count` threads wait on this clock for a deadline still
  // ahead of it; false if that took longer than `timeout` of real time (the
  // code under test is stuck or spinning).
  bool wait_until_parked(std::size_t count = 1,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    std::unique_lock guard(mutex_);
    return parked_.wait_for(guard, timeout, [&] {
      return static_cast<std::size_t>(std::count_if(
                 waiters_.begin(), waiters_.end(),
                 [&](const Waiter& waiter) { return waiter.deadline > now_; })) >= count;
    });
  }

 private:
  struct Waiter {
    std::uint64_t id;
    std::condition_variable* wakeup;
    std::mutex* mutex;
    double deadline;
  };

  mutable std::mutex mutex_;
  mutable std::condition_variable parked_;
  mutable std::vector<Waiter> waiters_;
  mutable std::uint64_t next_waiter_ = 0;
  double now_;
};

}  // namespace headway::test
