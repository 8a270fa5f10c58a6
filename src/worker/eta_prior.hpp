#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "headway/eta.hpp"
#include "headway/stage_plan.hpp"
#include "jobs/job_catalog.hpp"
#include "store/job_store.hpp"

namespace headway::worker {

// How many completed runs of a job type the worker reads per new run, and how
// many of those that match the new run's parameters go into its prior
// (docs/eta.md, "History from the job table").
inline constexpr std::int64_t kPriorCandidateRuns = 50;
inline constexpr std::size_t kPriorRuns = 10;

// What makes two runs of a type comparable: the parameters that must be equal,
// and the one whose value the run's time is proportional to.
struct PriorMatch {
  // Parameters that do not change what a run costs (timetable: `seed`).
  std::vector<std::string_view> ignored;
  // Empty: none; runs must then agree on every parameter not ignored.
  std::string_view size;
};
PriorMatch prior_match(std::string_view type);

// The durations of an earlier run's stages for a run of `params`: the
// completed run's stages in the order they ran, scaled by the ratio of the
// size parameters; nullopt when the run is not comparable (other parameters,
// a stage that never ended).
std::optional<std::vector<StageDuration>> comparable_durations(
    const PriorMatch& match, const boost::json::object& params,
    const boost::json::object& earlier_params, const store::CompletedRun& earlier);

// The ETA prior of a new run of `job` (its validated `params`, its `plan`):
// the newest kPriorRuns comparable runs among the type's last
// kPriorCandidateRuns completed ones. nullopt when there are none, or the
// table cannot be read (the run then goes without: a prior is never worth
// failing a job for).
std::optional<EtaHistory> eta_prior(store::JobStore& store, const JobCatalog& catalog,
                                    const store::Job& job, const boost::json::object& params,
                                    const StagePlan& plan);

}  // namespace headway::worker
