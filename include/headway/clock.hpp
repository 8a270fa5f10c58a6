#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "headway/export.hpp"

namespace headway {

// The source of time for the Tracker and the ETA estimators: the wall-clock
// time that records carry, and the timers of the Tracker's flusher (write
// interval, cancel poll, retry backoff). Injected so that tests and trace
// replays are deterministic. Implementations must be safe to call from
// several threads at once.
class HEADWAY_API Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in seconds (fractional).
  virtual double now() const = 0;

  // The timer side: a clock that replaces one of these two must replace both.
  // Seconds on a clock that never goes back, from an arbitrary epoch.
  // Default: std::chrono::steady_clock.
  virtual double steady_now() const;
  // Blocks the caller, which holds `lock`, until `wakeup` is notified or
  // steady_now() reaches `deadline`. It may return earlier, as a condition
  // variable may, so the caller re-checks what it waits for.
  virtual void wait_until(std::condition_variable& wakeup, std::unique_lock<std::mutex>& lock,
                          double deadline) const;
};

// The real clock (std::chrono::system_clock, timers on steady_clock). Thread-safe.
HEADWAY_API std::shared_ptr<Clock> system_clock();

}  // namespace headway
