#pragma once

#include <chrono>
#include <cstdint>

namespace headway::load {

// Nanoseconds on CLOCK_REALTIME: the clock of the kernel's receive stamps
// (SO_TIMESTAMPNS), so a publish stamp and a receive stamp compare directly.
// Publisher and receivers share one machine and one run of seconds.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace headway::load
