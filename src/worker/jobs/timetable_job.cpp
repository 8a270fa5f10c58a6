#include "worker/jobs/timetable_job.hpp"

#include <functional>
#include <random>
#include <vector>

namespace headway::worker {
namespace json = boost::json;

namespace {

// Share of the run's *time* each stage takes; the plan's weights are shares of
// work, and the two differ in real runs, which is what makes an ETA honest work.
struct SimulatedStage {
  const char* name;
  double time_share;
  int steps;  // 0: one per cluster
};
constexpr SimulatedStage kStages[] = {{"loading", 0.08, 20},
                                      {"clustering", 0.12, 30},
                                      {"cpsat_solving", 0.55, 0},
                                      {"ga_optimization", 0.15, 40},
                                      {"rl_refinement", 0.10, 25}};

}  // namespace

JobOutcome run_timetable_job(JobContext& context) {
  const auto& params = context.params();
  const std::int64_t clusters =
      params.contains("clusters") ? params.at("clusters").as_int64() : 216;
  const double duration_s =
      params.contains("duration_s") ? params.at("duration_s").to_number<double>() : 60.0;
  const std::string fail_at =
      params.contains("fail_at") ? std::string(params.at("fail_at").as_string()) : std::string();
  const std::uint64_t seed = params.contains("seed")
                                 ? static_cast<std::uint64_t>(params.at("seed").as_int64())
                                 : std::hash<std::string>{}(context.job_id());

  std::mt19937_64 random(seed);
  std::lognormal_distribution<double> step_cost(0.0, 0.6);
  Tracker& tracker = context.tracker();
  for (const auto& stage : kStages) {
    if (auto started = tracker.start_stage(stage.name); !started)
      return JobOutcome::failed(started.error());
    const std::int64_t steps = stage.steps > 0 ? stage.steps : clusters;
    std::vector<double> costs(static_cast<std::size_t>(steps));
    double total_cost = 0;
    for (auto& cost : costs)
      total_cost += cost = step_cost(random);
    const double stage_seconds = duration_s * stage.time_share;
    const bool fails_here = fail_at == stage.name;
    const std::int64_t last_step = fails_here ? steps / 2 : steps;
    for (std::int64_t step = 0; step < last_step; ++step) {
      if (!context.sleep_for(std::chrono::duration<double>(
              stage_seconds * costs[static_cast<std::size_t>(step)] / total_cost))) {
        return JobOutcome::stopped();
      }
      tracker.update_stage_progress(step + 1, steps);
    }
    if (fails_here) {
      return JobOutcome::failed("simulated failure in stage " + std::string(stage.name) +
                                " (fail_at)");
    }
    tracker.complete_stage();
  }
  return JobOutcome::completed();
}

}  // namespace headway::worker
