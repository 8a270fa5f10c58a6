// The Tracker's write path: what an update call costs the job's thread, and
// how long the round trips that matter take, with a real redis-server running.
//
//   build/release/bench/tracker_bench --benchmark_repetitions=10
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/uuid.hpp"
#include "headway/tracker.hpp"
#include "redis/keys.hpp"
#include "support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;

headway::test::RedisServer& redis() {
  static headway::test::RedisServer server;
  return server;
}

headway::RedisConfig config() {
  return headway::RedisConfig::from_url(redis().url());
}

// The call a job makes after every unit of work. The flusher writes to Redis
// in the background at most 10 times a second meanwhile.
void BM_UpdateStageProgress(benchmark::State& state) {
  headway::Tracker tracker(config(), headway::make_uuid());
  tracker.start_stage("cpsat_solving");
  std::int64_t i = 0;
  for (auto _ : state) {
    tracker.update_stage_progress(++i % 216, 216);
  }
  state.counters["redis_writes"] = static_cast<double>(tracker.stats().writes);
}
BENCHMARK(BM_UpdateStageProgress);

// The same from two job threads sharing one Tracker.
void BM_UpdateStageProgressTwoThreads(benchmark::State& state) {
  static headway::Tracker* tracker = nullptr;
  if (state.thread_index() == 0) {
    tracker = new headway::Tracker(config(), headway::make_uuid());
    tracker->start_stage("cpsat_solving");
  }
  std::int64_t i = 0;
  for (auto _ : state)
    tracker->update_stage_progress(++i % 216, 216);
  if (state.thread_index() == 0) {
    delete tracker;
    tracker = nullptr;
  }
}
BENCHMARK(BM_UpdateStageProgressTwoThreads)->Threads(2);

// One stage boundary on the job's thread: start_stage() and complete_stage()
// alternate over a 50-stage plan, each queueing a snapshot for an ordered write
// while the flusher writes the earlier ones to Redis. A Tracker whose plan is
// done is replaced outside the timing and dropped without waiting for its
// remaining writes (terminal_timeout 0): the figure is the caller's cost only.
void BM_StageBoundary(benchmark::State& state) {
  constexpr int kStages = 50;
  std::vector<std::pair<std::string, double>> weights;
  for (int i = 0; i < kStages; ++i)
    weights.emplace_back("stage_" + std::to_string(i), 100.0 / kStages);
  const auto plan = headway::StagePlan::from_weights(weights);
  headway::TrackerOptions options;
  options.terminal_timeout = 0ms;
  std::unique_ptr<headway::Tracker> tracker;
  int boundary = 2 * kStages;  // the next one within the current plan
  for (auto _ : state) {
    if (boundary == 2 * kStages) {
      state.PauseTiming();
      tracker.reset();
      tracker = std::make_unique<headway::Tracker>(config(), headway::make_uuid(), plan, options);
      boundary = 0;
      state.ResumeTiming();
    }
    const auto result = boundary % 2 == 0 ? tracker->start_stage(plan[boundary / 2].name)
                                          : tracker->complete_stage();
    if (!result) {
      state.SkipWithError(result.error().c_str());
      break;
    }
    ++boundary;
  }
}
BENCHMARK(BM_StageBoundary);

// mark_completed(): returns once Redis acknowledged the terminal record.
void BM_TerminalWriteRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto tracker = std::make_unique<headway::Tracker>(config(), headway::make_uuid());
    tracker->start_stage("loading");
    tracker->flush(10s);
    state.ResumeTiming();
    tracker->mark_completed();
    state.PauseTiming();
    tracker.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_TerminalWriteRoundTrip)->Unit(benchmark::kMicrosecond)->Iterations(50);

// From SET progress:cancel:<id> to cancel_requested() in the job's thread, with
// the default 500 ms poll while the job writes nothing.
void BM_CancelLatency(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::string job_id = headway::make_uuid();
    auto tracker = std::make_unique<headway::Tracker>(config(), job_id);
    tracker->start_stage("loading");
    tracker->flush(10s);
    auto connection = redis().connect();
    state.ResumeTiming();
    connection->command({"SET", headway::redis::keys::cancel(job_id), "1", "EX", "60"});
    while (!tracker->cancel_requested())
      std::this_thread::sleep_for(1ms);
    state.PauseTiming();
    tracker->mark_cancelled();
    tracker.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CancelLatency)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
