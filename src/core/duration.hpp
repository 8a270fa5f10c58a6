#pragma once

#include <chrono>
#include <string_view>

namespace headway {

// A duration as every setting writes one: a number and a unit, "500ms",
// "15s", "2m", "12h", "7d"; a bare number is seconds ("1.5"). Non-negative,
// at most 100 years (so a timer adding it to the clock in nanoseconds cannot
// overflow). Returns false when invalid.
bool parse_duration(std::string_view text, std::chrono::milliseconds& out);

}  // namespace headway
