#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "headway/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"headway: live progress for long-running jobs"};
  app.set_version_flag("--version", std::string("headway ") + headway::version());
  app.require_subcommand(1);
  headway::cli::register_all(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with status 0; any other parse
    // error is a usage error (CLI11's own codes are above 100).
    const int code = app.exit(e);
    return code == 0 ? 0 : headway::cli::kExitUsage;
  }
  return headway::cli::exit_code();
}
