#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headway/stage_plan.hpp"
#include "jobs/command_config.hpp"
#include "jobs/job_error.hpp"
#include "jobs/param_schema.hpp"

namespace headway::worker {

// The parameters of a `timetable` job (docs/worker.md, "Job types"): clusters
// (integer, default 216), duration_s (number, default 60), fail_at (a stage
// name of the reference plan: fail half-way through that stage), seed
// (integer; default derived from the job id).
ParamSchema timetable_schema();

// A job request that passed validation.
struct ValidatedJob {
  std::string type;
  // The parameters with defaults filled in: what the job table stores and
  // what the worker runs with.
  boost::json::object params;
  // The stage plan the record carries; none for `external` jobs, whose own
  // program brings its plan with its first record.
  std::optional<StagePlan> plan;
  // False for `external`: created through the API, never put on jobs:queue.
  bool queued = true;
};

// The job types a deployment offers (docs/worker.md, "Job types"): `timetable`, `command` (for
// the commands the configuration allows) and `external`. The server validates
// requests with it; the worker validates again before running, with its own
// configuration. Immutable after construction; safe to share between threads.
class JobCatalog {
 public:
  // Without commands, `command` jobs are rejected as unconfigured.
  explicit JobCatalog(WorkerConfig config = {}) : config_(std::move(config)) {}

  // Checks the type and its parameters; invalid_input errors name the field
  // ("type", "params", "params.clusters", "params.args.target").
  JobResult<ValidatedJob> validate(std::string_view type, const boost::json::value& params) const;
  // The same, for params given as JSON text (empty text means {}).
  JobResult<ValidatedJob> validate_json(std::string_view type, std::string_view params_json) const;

  const WorkerConfig& config() const { return config_; }
  static std::vector<std::string> type_names();

 private:
  WorkerConfig config_;
};

}  // namespace headway::worker
