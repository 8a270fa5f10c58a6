#pragma once

#include <iosfwd>

#include "scenario.hpp"

namespace headway::load {

// Prints the report for people, then one tab-separated `summary` line that
// run.sh gathers into its table. Returns whether every target was met.
bool print_report(const Report& report, std::ostream& out);

}  // namespace headway::load
