#pragma once

#include "headway/manual_clock.hpp"

namespace headway::test {

// The public test clock (include/headway/manual_clock.hpp).
using ManualClock = headway::ManualClock;

}  // namespace headway::test
