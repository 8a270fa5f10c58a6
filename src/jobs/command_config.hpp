#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headway/stage_plan.hpp"
#include "jobs/job_error.hpp"
#include "jobs/param_schema.hpp"

namespace headway::worker {

// One program a `command` job may run, as allowed by the worker's
// configuration file (docs/worker.md). Requests only ever name it.
struct CommandSpec {
  std::string name;
  std::filesystem::path path;     // absolute; run directly, never through a shell
  std::vector<std::string> args;  // fixed leading arguments
  ParamSchema params;             // extra arguments a request may pass
  StagePlan plan = StagePlan::from_weights({{"run", 100}});
  // Between SIGTERM and SIGKILL when the job is cancelled or the worker stops it.
  std::chrono::milliseconds stop_grace{5000};
  // A run longer than this is stopped like a cancel and the job fails; none: no limit.
  std::optional<std::chrono::milliseconds> timeout;
};

// The worker configuration file: the allow-list of commands. A plain value.
struct WorkerConfig {
  std::map<std::string, CommandSpec, std::less<>> commands;
};

// Parses the JSON configuration (see docs/worker.md). `source` names the file
// in error messages. Errors come back as invalid_input naming the bad key.
JobResult<WorkerConfig> parse_worker_config(std::string_view json_text, std::string_view source);

// Reads and parses a configuration file; every command's program must exist
// and be executable.
JobResult<WorkerConfig> load_worker_config(const std::filesystem::path& file);

// The argument vector for one run of `spec` with validated `args`: the path,
// the fixed arguments, then each parameter in the order the configuration
// declares it (`flag value`, a boolean's flag alone when true, or the bare
// value). A positional value starting with '-' is refused so that a request
// cannot smuggle in an option.
JobResult<std::vector<std::string>> command_argv(const CommandSpec& spec,
                                                 const boost::json::object& args);

}  // namespace headway::worker
