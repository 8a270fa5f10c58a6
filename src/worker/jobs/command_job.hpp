#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "worker/command_config.hpp"
#include "worker/job_context.hpp"
#include "worker/job_error.hpp"

namespace headway::worker {

// The argument vector for one run of `spec` with validated `args`: the path,
// the fixed arguments, then each parameter in the order the configuration
// declares it (`flag value`, a boolean's flag alone when true, or the bare
// value). A positional value starting with '-' is refused so that a request
// cannot smuggle in an option.
JobResult<std::vector<std::string>> command_argv(const CommandSpec& spec,
                                                 const boost::json::object& args);

// Runs the allowed program named by the job's params and reports the progress
// lines it prints (jobs/progress_line.hpp). Exit 0 completes the job; any
// other end fails it with the tail of stderr. A stop request sends SIGTERM to
// the program's process group, then SIGKILL after spec.stop_grace.
JobOutcome run_command_job(const WorkerConfig& config, JobContext& context);

}  // namespace headway::worker
