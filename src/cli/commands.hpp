#pragma once

#include <CLI/CLI.hpp>

// Each subcommand lives in its own file and registers itself here. A command's
// callback stores its exit status with set_exit_code().
namespace headway::cli {

void register_all(CLI::App& app);
void set_exit_code(int code);
int exit_code();

void register_version(CLI::App& app);
void register_demo_tracker(CLI::App& app);
void register_eta_replay(CLI::App& app);
void register_serve(CLI::App& app);
void register_worker(CLI::App& app);
void register_user(CLI::App& app);
void register_jobs(CLI::App& app);

}  // namespace headway::cli
