// Micro-benchmarks of the ETA estimators' hot path: observe() as the Tracker
// calls it on every progress report, and observe() + estimate() as a flush
// does. The report stream is 0.01 % per report with a stage change every 20 %
// and a restart (progress back by 5 %) every 10^4 reports, so scoring at
// whole-percent crossings, stage changes and restarts are all inside the
// measured loop. Heap allocations are counted by replacing the global
// operator new and reported per call as `allocs`.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

#include "headway/eta.hpp"

namespace {

std::atomic<long> allocations{0};

struct Report {
  double elapsed;
  double percent;
  std::string_view stage;
};

const std::vector<Report>& reports() {
  static const std::vector<Report> stream = [] {
    constexpr std::string_view kStages[] = {"loading", "solving", "refine", "export", "verify"};
    std::vector<Report> out;
    double t = 0;
    double p = 0;
    for (int k = 0; k < 200000; ++k) {
      t += 0.05 + 0.04 * ((k * 7919) % 13) / 13.0;
      p += 0.01;
      if (k % 10000 == 9999)
        p -= 5;
      if (p >= 100)
        p = 0;
      out.push_back({t, p, kStages[static_cast<int>(p / 20) % 5]});
    }
    return out;
  }();
  return stream;
}

void observe_loop(benchmark::State& state, std::string_view name, bool estimate) {
  const auto& stream = reports();
  auto estimator = headway::make_eta_estimator(name);
  std::size_t i = 0;
  double sink = 0;
  long excluded = 0;  // the estimator's own re-creation, outside the measured calls
  const long before = allocations.load();
  for (auto _ : state) {
    const Report& r = stream[i];
    estimator->observe(r.elapsed, r.percent, r.stage);
    if (estimate)
      sink += estimator->estimate(r.elapsed).value_or(0);
    if (++i == stream.size()) {
      i = 0;
      state.PauseTiming();
      const long at = allocations.load();
      estimator = headway::make_eta_estimator(name);
      excluded += allocations.load() - at;
      state.ResumeTiming();
    }
  }
  benchmark::DoNotOptimize(sink);
  state.counters["allocs"] =
      benchmark::Counter(static_cast<double>(allocations.load() - before - excluded),
                         benchmark::Counter::kAvgIterations);
}

void BM_HedgeObserve(benchmark::State& state) {
  observe_loop(state, "hedge", false);
}
void BM_StagedObserve(benchmark::State& state) {
  observe_loop(state, "staged", false);
}
void BM_HedgeObserveEstimate(benchmark::State& state) {
  observe_loop(state, "hedge", true);
}
void BM_StagedObserveEstimate(benchmark::State& state) {
  observe_loop(state, "staged", true);
}

}  // namespace

BENCHMARK(BM_HedgeObserve)->MeasureProcessCPUTime();
BENCHMARK(BM_StagedObserve)->MeasureProcessCPUTime();
BENCHMARK(BM_HedgeObserveEstimate)->MeasureProcessCPUTime();
BENCHMARK(BM_StagedObserveEstimate)->MeasureProcessCPUTime();

// The replacement pair is malloc/free on both sides; GCC cannot see that the
// operator new it pairs with delete below is this one, hence the pragma.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

BENCHMARK_MAIN();
