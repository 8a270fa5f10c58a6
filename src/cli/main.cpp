#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "headway/version.hpp"

namespace {

int run(int argc, char** argv) {
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

}  // namespace

int main(int argc, char** argv) {
  // A subcommand reports its own errors; this catches what escapes one, so
  // the process ends with a message instead of std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "headway: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "headway: an unknown error\n");
  }
  return headway::cli::kExitFailed;
}
