#include "cli/commands.hpp"

namespace headway::cli {

// Registered once the worker part lands.
void register_worker(CLI::App&) {}

}  // namespace headway::cli
