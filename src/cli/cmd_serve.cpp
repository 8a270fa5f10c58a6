#include "cli/commands.hpp"

namespace headway::cli {

// Registered once the serve part lands.
void register_serve(CLI::App&) {}

}  // namespace headway::cli
