#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"headway: live progress for long-running jobs"};
  app.require_subcommand(1);
  headway::cli::register_all(app);
  CLI11_PARSE(app, argc, argv);
  return headway::cli::exit_code();
}
