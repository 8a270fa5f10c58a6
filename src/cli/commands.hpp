#pragma once

#include <CLI/CLI.hpp>

// Each subcommand lives in its own file and registers itself here. A command's
// callback stores its exit status with set_exit_code().
namespace headway::cli {

// The exit statuses of every command, documented in `headway --help` and the
// README; scripts rely on them, so a value never changes meaning.
enum ExitCode : int {
  kExitOk = 0,           // done; `watch`: the job completed
  kExitFailed = 1,       // the job failed or was cancelled, or the server or database refused
  kExitUsage = 2,        // a bad command line, or input the server rejected as invalid (400)
  kExitUnreachable = 3,  // no answer: connection refused, TLS or certificate failure, timeout
  kExitAuth = 4,         // no valid credentials (401) or not allowed (403)
};

// The text `--help` shows for the exit statuses.
extern const char* const kExitCodeHelp;

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
