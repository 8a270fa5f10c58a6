#pragma once

#include <memory>

namespace headway {

// The source of wall-clock time for the Tracker and the ETA estimators.
// Injected so that tests and trace replays are deterministic.
// Implementations must be safe to call from several threads at once.
class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in seconds (fractional).
  virtual double now() const = 0;
};

// The real clock (std::chrono::system_clock). Thread-safe.
std::shared_ptr<Clock> system_clock();

}  // namespace headway
