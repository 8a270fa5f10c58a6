#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "cli/commands.hpp"
#include "cli/settings.hpp"
#include "core/uuid.hpp"
#include "headway/tracker.hpp"

namespace headway::cli {
namespace {

struct DemoOptions {
  std::string redis_url;
  std::string job_id;
  double duration_s = 20;
  bool quiet = false;
};

// Share of the run's time each reference stage takes (the plan's weights are
// shares of *work*; real stages run at different speeds, which is what makes
// an honest ETA hard).
struct DemoStage {
  const char* name;
  double time_share;
  int steps;
};
constexpr DemoStage kDemoStages[] = {{"loading", 0.08, 20},
                                     {"clustering", 0.12, 30},
                                     {"cpsat_solving", 0.55, 216},
                                     {"ga_optimization", 0.15, 40},
                                     {"rl_refinement", 0.10, 25}};

int run_demo(const DemoOptions& options) {
  const std::string job_id = options.job_id.empty() ? make_uuid() : options.job_id;
  std::mutex print_mutex;
  TrackerOptions tracker_options;
  if (!options.quiet) {
    tracker_options.on_write = [&print_mutex](std::string_view record) {
      std::lock_guard lock(print_mutex);
      std::cout << record << "\n" << std::flush;
    };
  }
  std::cerr << "demo-tracker: job " << job_id << " -> " << options.redis_url << "\n";
  try {
    Tracker tracker(RedisConfig::from_url(options.redis_url), job_id, StagePlan::reference(),
                    std::move(tracker_options));
    std::mt19937 random(42);
    std::lognormal_distribution<double> step_cost(0.0, 0.6);
    for (const auto& stage : kDemoStages) {
      tracker.start_stage(stage.name);
      std::vector<double> costs(stage.steps);
      double total_cost = 0;
      for (auto& cost : costs)
        total_cost += cost = step_cost(random);
      const double stage_seconds = options.duration_s * stage.time_share;
      for (int step = 0; step < stage.steps; ++step) {
        if (tracker.cancel_requested()) {
          auto result = tracker.mark_cancelled();
          std::cerr << "demo-tracker: cancelled\n";
          return result ? 0 : 1;
        }
        std::this_thread::sleep_for(
            std::chrono::duration<double>(stage_seconds * costs[step] / total_cost));
        tracker.update_stage_progress(step + 1, stage.steps);
      }
      tracker.complete_stage();
    }
    auto result = tracker.mark_completed();
    if (!result) {
      std::cerr << "demo-tracker: " << result.error() << "\n";
      return 1;
    }
    std::cerr << "demo-tracker: completed; " << tracker.stats().writes << " records written\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "demo-tracker: " << error.what() << "\n";
    return 2;
  }
}

}  // namespace

void register_demo_tracker(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  options->redis_url = "redis://127.0.0.1:6379";
  auto* cmd = app.add_subcommand(
      "demo-tracker", "Drive a Tracker through the reference 5-stage job, printing each record");
  cmd->add_option("--redis", options->redis_url, "Redis URL (env HEADWAY_REDIS)")
      ->capture_default_str();
  cmd->add_option("--job-id", options->job_id, "Job id (a UUID; default: a new one)");
  cmd->add_option("--duration", options->duration_s, "Seconds the job takes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--quiet", options->quiet, "Do not print the records");
  cmd->preparse_callback([options](std::size_t) {
    if (auto url = getenv_renamed("HEADWAY_REDIS", "REDIS_URL", std::cerr))
      options->redis_url = *url;
  });
  cmd->callback([options] { set_exit_code(run_demo(*options)); });
}

}  // namespace headway::cli
