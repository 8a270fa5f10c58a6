#include "worker/eta_prior.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace headway::worker {
namespace json = boost::json;

namespace {

bool ignored(const PriorMatch& match, std::string_view key) {
  return std::find(match.ignored.begin(), match.ignored.end(), key) != match.ignored.end();
}

// Whether `a` and `b` agree on every key but the ignored ones and the size.
bool same_apart_from_size(const PriorMatch& match, const json::object& a, const json::object& b) {
  auto covered = [&](const json::object& one, const json::object& other) {
    for (const auto& [key, value] : one) {
      if (ignored(match, key) || key == match.size)
        continue;
      const json::value* theirs = other.if_contains(key);
      if (theirs == nullptr || *theirs != value)
        return false;
    }
    return true;
  };
  return covered(a, b) && covered(b, a);
}

std::optional<double> number(const json::object& params, std::string_view key) {
  const json::value* value = params.if_contains(key);
  if (value == nullptr || !value->is_number())
    return std::nullopt;
  return value->to_number<double>();
}

}  // namespace

PriorMatch prior_match(std::string_view type) {
  // The simulated timetable's every stage lasts in proportion to duration_s;
  // the seed only reorders its step costs.
  if (type == "timetable")
    return {{"seed"}, "duration_s"};
  return {};
}

std::optional<std::vector<StageDuration>> comparable_durations(const PriorMatch& match,
                                                               const json::object& params,
                                                               const json::object& earlier_params,
                                                               const store::CompletedRun& earlier) {
  if (earlier.stages.empty() || !same_apart_from_size(match, params, earlier_params))
    return std::nullopt;
  double scale = 1;
  if (!match.size.empty()) {
    const auto size = number(params, match.size);
    const auto earlier_size = number(earlier_params, match.size);
    if (size.has_value() != earlier_size.has_value())
      return std::nullopt;
    if (size && *size != *earlier_size) {
      // A size of 0 scales nothing: only equal sizes compare then.
      if (!(*size > 0 && *earlier_size > 0))
        return std::nullopt;
      scale = *size / *earlier_size;
    }
  }
  std::vector<StageDuration> durations;
  durations.reserve(earlier.stages.size());
  for (const auto& stage : earlier.stages) {
    if (!stage.finished_at || !(*stage.finished_at >= stage.started_at))
      return std::nullopt;
    durations.push_back({stage.stage, scale * (*stage.finished_at - stage.started_at)});
  }
  return durations;
}

std::optional<EtaHistory> eta_prior(store::JobStore& store, const JobCatalog& catalog,
                                    const store::Job& job, const json::object& params,
                                    const StagePlan& plan) {
  auto runs = store.recent_completed_runs(job.type, kPriorCandidateRuns);
  if (!runs) {
    spdlog::warn("job {}: no ETA prior: cannot read earlier runs: {}", job.id,
                 runs.error().message);
    return std::nullopt;
  }
  const PriorMatch match = prior_match(job.type);
  std::vector<std::vector<StageDuration>> chosen;
  for (const auto& run : *runs) {
    if (chosen.size() == kPriorRuns)
      break;
    if (run.id == job.id)
      continue;
    auto earlier = catalog.validate_json(job.type, run.params);
    if (!earlier)
      continue;  // parameters this build no longer accepts: not comparable
    if (auto durations = comparable_durations(match, params, earlier->params, run))
      chosen.push_back(std::move(*durations));
  }
  if (chosen.empty())
    return std::nullopt;
  EtaHistory history = EtaHistory::from_stage_durations(plan, chosen);
  if (history.runs == 0)
    return std::nullopt;
  spdlog::info("job {}: ETA prior from {} earlier run{}", job.id, history.runs,
               history.runs == 1 ? "" : "s");
  return history;
}

}  // namespace headway::worker
