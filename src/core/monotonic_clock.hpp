#pragma once

#include <memory>

#include "headway/clock.hpp"

namespace headway {

// A Clock that never goes back (std::chrono::steady_clock): seconds from an
// arbitrary epoch, not Unix time. For expiry times and intervals, which a
// wall-clock step must not stretch or cut short. Thread-safe.
std::shared_ptr<Clock> monotonic_clock();

}  // namespace headway
