#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "jobs/command_config.hpp"
#include "jobs/job_error.hpp"
#include "worker/job_context.hpp"

namespace headway::worker {

// Runs the allowed program named by the job's params and reports the progress
// lines it prints (jobs/progress_line.hpp). Exit 0 completes the job; any
// other end fails it with the tail of stderr. A stop request sends SIGTERM to
// the program's process group, then SIGKILL after spec.stop_grace.
JobOutcome run_command_job(const WorkerConfig& config, JobContext& context);

}  // namespace headway::worker
