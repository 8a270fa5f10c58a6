#include "cli/commands.hpp"

namespace headway::cli {
namespace {
int g_exit_code = 0;

// Every command's --help ends with the exit statuses.
void add_footer(CLI::App& app) {
  app.footer(kExitCodeHelp);
  for (auto* sub : app.get_subcommands({}))
    add_footer(*sub);
}
}  // namespace

const char* const kExitCodeHelp =
    "Exit status: 0 success (watch: the job completed); 1 failed (the job failed or was\n"
    "cancelled, or the server or database refused the request); 2 usage error or input\n"
    "the server rejected as invalid; 3 server unreachable (connection, TLS or certificate\n"
    "failure, timeout); 4 no valid credentials or not allowed.";

void set_exit_code(int code) {
  g_exit_code = code;
}
int exit_code() {
  return g_exit_code;
}

void register_all(CLI::App& app) {
  register_version(app);
  register_demo_tracker(app);
  register_eta_replay(app);
  register_serve(app);
  register_worker(app);
  register_user(app);
  register_jobs(app);
  add_footer(app);
}

}  // namespace headway::cli
