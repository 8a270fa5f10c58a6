#include "cli/commands.hpp"

namespace headway::cli {
namespace {
int g_exit_code = 0;
}

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
}

}  // namespace headway::cli
