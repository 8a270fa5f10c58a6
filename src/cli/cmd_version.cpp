#include <iostream>

#include "cli/commands.hpp"
#include "headway/version.hpp"

namespace headway::cli {

void register_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the headway version");
  cmd->callback([] { std::cout << "headway " << headway::version() << "\n"; });
}

}  // namespace headway::cli
