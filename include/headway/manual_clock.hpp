#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "headway/clock.hpp"
#include "headway/export.hpp"

namespace headway {

// A clock a test moves by hand, for unit tests of code that uses a Tracker
// (with a MemorySink, memory_sink.hpp). Records carry its time, the ETA
// follows it, and so do the Tracker's timers: a thread waiting in
// wait_until() sleeps, however long it takes, until advance() reaches its
// deadline, and wait_until_parked() tells the test when the code under test
// has done all that was due and gone back to sleep, so that tests await
// events instead of sleeping.
//
// Thread-safe. advance() must not run while an object waiting on this clock
// is being destroyed (in a test, both happen on the test's own thread).
class HEADWAY_API ManualClock final : public Clock {
 public:
  explicit ManualClock(double start = 1'700'000'000.0) : now_(start) {}

  double now() const override;
  double steady_now() const override { return now(); }
  void wait_until(std::condition_variable& wakeup, std::unique_lock<std::mutex>& lock,
                  double deadline) const override;

  // Moves the clock on by `seconds` and wakes whoever waits for a deadline
  // it has reached.
  void advance(double seconds);

  // Blocks until `count` threads wait on this clock for a deadline still
  // ahead of it; false if that took longer than `timeout` of real time (the
  // code under test is stuck or spinning).
  bool wait_until_parked(std::size_t count = 1,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

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

}  // namespace headway
