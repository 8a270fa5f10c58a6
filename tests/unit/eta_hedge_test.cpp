#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/eta_hedge.hpp"
#include "core/eta_staged.hpp"
#include "headway/stage_plan.hpp"

namespace headway {
namespace {

using eta::HedgeEstimator;

// One progress report of a synthetic job.
struct Report {
  double t;
  double p;
  std::string stage;
};

// True remaining seconds after report `i` (the last report is the end).
double remaining_after(const std::vector<Report>& job, std::size_t i) {
  return job.back().t - job[i].t;
}

// The median forecast of the remaining time, from the display percent
// 100 t / (t + median), which both pace estimators derive from it.
double median_of(const EtaEstimator& estimator, double now) {
  return now * (100.0 / *estimator.display_percent(now) - 1.0);
}

// Feeds reports up to the first one at or past `percent`; returns its index.
std::size_t feed_until(EtaEstimator& estimator, const std::vector<Report>& job, double percent) {
  for (std::size_t i = 0; i < job.size(); ++i) {
    estimator.observe(job[i].t, job[i].p, job[i].stage);
    if (job[i].p >= percent)
      return i;
  }
  return job.size() - 1;
}

// Appends `percent` of work in `steps` equal steps of `seconds_per_percent`.
void add_work(std::vector<Report>& job, const std::string& stage, double percent, int steps,
              double seconds_per_percent) {
  double t = job.empty() ? 0 : job.back().t;
  double p = job.empty() ? 0 : job.back().p;
  if (job.empty() || job.back().stage != stage)
    job.push_back({t, p, stage});
  for (int k = 0; k < steps; ++k) {
    t += seconds_per_percent * percent / steps;
    p += percent / steps;
    job.push_back({t, p, stage});
  }
}

TEST(HedgeEtaTest, FrontLoadedStageFollowsTheCheaperLaterSteps) {
  // A 10 % loading stage at 1 s/%, then one stage whose step cost starts 20
  // times higher and decays to the normal 1 s/% over the first tenth of the
  // stage (warm caches, a shrinking search): the stage average keeps carrying
  // the expensive start long after the work has become cheap.
  std::vector<Report> job;
  add_work(job, "loading", 10, 20, 1.0);
  double t = job.back().t;
  job.push_back({t, 10, "solving"});
  for (int k = 0; k < 180; ++k) {
    const double x = (k + 0.5) / 180;
    t += 0.5 * (1 + 19 * std::exp(-x / 0.1));
    job.push_back({t, 10 + 0.5 * (k + 1), "solving"});
  }
  double hedge_error = 0;
  double staged_error = 0;
  double stage_average_error = 0;
  const double checkpoints[] = {30, 40, 50, 60, 70, 80};
  for (const double percent : checkpoints) {
    HedgeEstimator hedge;
    eta::StagedPaceEstimator staged;
    const std::size_t at = feed_until(hedge, job, percent);
    feed_until(staged, job, percent);
    const double truth = remaining_after(job, at);
    hedge_error += std::abs(*hedge.estimate(job[at].t) - truth) / truth / 6;
    staged_error += std::abs(*staged.estimate(job[at].t) - truth) / truth / 6;
    const double stage_pace = (job[at].t - job[20].t) / (job[at].p - 10);
    stage_average_error += std::abs((100 - job[at].p) * stage_pace - truth) / truth / 6;
  }
  // Measured: hedge 0.30, staged 0.37, the stage average 3.9.
  EXPECT_LT(hedge_error, 0.4);
  EXPECT_LT(hedge_error, staged_error);
  EXPECT_LT(hedge_error, 0.5 * stage_average_error);
}

TEST(HedgeEtaTest, CandidateWrongByAFactorLosesItsWeightWithinAFewPercent) {
  // 30 % at 4 s/%, then a new stage at 1 s/% to the end: the whole-job
  // average keeps saying about 2.5-4 s/%, a factor of 2-3 too slow, while the
  // other candidates see the new pace.
  std::vector<Report> job;
  add_work(job, "first", 30, 60, 4.0);
  add_work(job, "second", 70, 140, 1.0);
  HedgeEstimator hedge;
  constexpr std::size_t kLinear = 1;
  std::optional<double> lost_at;
  for (const auto& r : job) {
    hedge.observe(r.t, r.p, r.stage);
    if (!lost_at && r.p > 30 && hedge.weights()[kLinear] < 0.01)
      lost_at = r.p;
  }
  ASSERT_TRUE(lost_at.has_value());
  // Its forecasts are judged from about 45 % on (the horizon is half the
  // progress so far); by 70 % its weight is gone.
  EXPECT_LT(*lost_at, 70.0);
  HedgeEstimator late;
  const std::size_t at = feed_until(late, job, 80.0);
  const double truth = remaining_after(job, at);
  const double median = median_of(late, job[at].t);
  EXPECT_LT(late.weights()[kLinear], 0.01);
  EXPECT_NEAR(median, truth, 0.35 * truth);
}

TEST(HedgeEtaTest, ForecastMovesAtMostByTheCapPerPercent) {
  // A single report that takes 50 times a typical step: the mix would jump,
  // the forecast may move by at most e^(cap * the report's percent).
  std::vector<Report> job;
  add_work(job, "work", 40, 400, 1.0);
  HedgeEstimator hedge;
  for (const auto& r : job)
    hedge.observe(r.t, r.p, r.stage);
  const double before = median_of(hedge, job.back().t);  // 60 s at 1 s/%
  const double t = job.back().t + 5.0;                   // 0.1 % in 5 s instead of 0.1 s
  hedge.observe(t, 40.1, "work");
  const double after = median_of(hedge, t);
  // The cap allows a factor e^(cap * 0.1) on the pace over that 0.1 %; the
  // uncapped mix would move by far more (the report took 50 steps' time).
  const double cap = eta::HedgeSettings{}.max_log_move_per_percent;
  EXPECT_GT(after, before * 59.9 / 60.0);
  EXPECT_LT(after, before * 59.9 / 60.0 * std::exp(cap * 0.1) * 1.0001);
  eta::HedgeSettings uncapped;
  uncapped.max_log_move_per_percent = 0;
  HedgeEstimator free_mix(uncapped);
  for (const auto& r : job)
    free_mix.observe(r.t, r.p, r.stage);
  free_mix.observe(t, 40.1, "work");
  EXPECT_GT(median_of(free_mix, t), before * 59.9 / 60.0 * std::exp(cap * 0.1) * 1.01);
}

TEST(HedgeEtaTest, NoEstimateUntilProgressHasMovedAndZeroAtTheEnd) {
  HedgeEstimator hedge;
  hedge.observe(0, 0, "a");
  EXPECT_FALSE(hedge.estimate(0).has_value());
  EXPECT_FALSE(hedge.range(0).has_value());
  for (int k = 1; k <= 100; ++k)
    hedge.observe(k, k, "a");
  EXPECT_DOUBLE_EQ(*hedge.estimate(100), 0.0);
  EXPECT_DOUBLE_EQ(hedge.range(100)->high, 0.0);
}

// A small generated family: multi-stage jobs whose stage paces differ by
// lognormal factors and whose step costs are noisy, from a fixed seed. Box-
// Muller by hand so the draws do not depend on the standard library's
// distributions.
std::vector<Report> generated_job(std::mt19937_64& rng) {
  const auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1p-53; };
  const auto normal = [&] {
    return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  };
  std::vector<Report> job{{0, 0, "s0"}};
  const int stages = 1 + static_cast<int>(uniform() * 4);
  double t = 0;
  double p = 0;
  for (int s = 0; s < stages; ++s) {
    const double weight = s + 1 == stages ? 100 - p : (100 - p) * (0.2 + 0.5 * uniform());
    const double pace = std::exp(0.6 * normal());
    const int steps = 5 + static_cast<int>(uniform() * 60);
    const std::string name = "s" + std::to_string(s);
    if (s > 0)
      job.push_back({t, p, name});
    for (int k = 0; k < steps; ++k) {
      t += pace * weight / steps * std::exp(0.4 * normal());
      p = std::min(100.0, p + weight / steps);
      job.push_back({t, p, name});
    }
  }
  job.back().p = 100;
  return job;
}

TEST(HedgeEtaTest, IntervalCoversAboutEightyPercentOnAGeneratedFamily) {
  std::mt19937_64 rng(20261203);
  long inside = 0;
  long scored = 0;
  for (int j = 0; j < 200; ++j) {
    const auto job = generated_job(rng);
    HedgeEstimator hedge;
    for (std::size_t i = 0; i + 1 < job.size(); ++i) {
      hedge.observe(job[i].t, job[i].p, job[i].stage);
      if (job[i].p < 5 || job[i].p > 95)
        continue;
      const auto range = hedge.range(job[i].t);
      ASSERT_TRUE(range.has_value());
      ASSERT_LE(range->low, range->high);
      const double truth = remaining_after(job, i);
      ++scored;
      if (range->low <= truth && truth <= range->high)
        ++inside;
    }
  }
  const double coverage = static_cast<double>(inside) / static_cast<double>(scored);
  EXPECT_GT(coverage, 0.70);
  EXPECT_LT(coverage, 0.90);
}

// A one-stage job of 400 steps of 0.25 %, the pace multiplied by `growth` at
// every step and by lognormal noise of `noise`.
std::vector<Report> paced_job(std::uint64_t seed, double growth, double noise) {
  std::mt19937_64 rng(seed);
  const auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1p-53; };
  std::vector<Report> job{{0, 0, "work"}};
  double pace = 1;
  for (int k = 1; k <= 400; ++k) {
    pace *= growth;
    const double step = pace * 0.25 * std::exp(noise * (2 * uniform() - 1));
    job.push_back({job.back().t + step, 0.25 * k, "work"});
  }
  return job;
}

// The interval's log spread on each side of the median, per unit of its
// multiplier: {low, high}.
std::pair<double, double> spreads_at(const std::vector<Report>& job, double percent) {
  HedgeEstimator hedge;
  const std::size_t at = feed_until(hedge, job, percent);
  const double median = median_of(hedge, job[at].t);
  const auto range = hedge.range(job[at].t);
  const eta::HedgeSettings defaults;
  return {std::log(median / range->low) / defaults.interval_low_z,
          std::log(range->high / median) / defaults.interval_high_z};
}

TEST(HedgeEtaTest, EachEndOfTheIntervalFollowsWhereTheRunsForecastsHaveMissed) {
  // Slowing down: every forecast of the pace was too fast, so the truth keeps
  // landing late and the high end moves out; speeding up, the low end does.
  const auto slowing = spreads_at(paced_job(1, 1.008, 0.1), 60);
  const auto speeding = spreads_at(paced_job(1, 1 / 1.008, 0.1), 60);
  EXPECT_GT(slowing.second, slowing.first);
  EXPECT_GT(speeding.first, speeding.second);
  EXPECT_GT(slowing.second, 1.1 * speeding.second);
  EXPECT_GT(speeding.first, 1.1 * slowing.first);
}

TEST(HedgeEtaTest, IntervalLosesTheTruthOnNeitherSideOnJobsThatSlowDownOrSpeedUp) {
  // A family whose jobs drift: each one's pace grows or shrinks by up to
  // 0.4 % a step (a factor 1/5 to 5 over the job), with step noise. The ends
  // follow each run's misses, so the truth is not lost on either side. (Like
  // the bench's smooth families, these jobs are covered more than 80 % of
  // the time: docs/eta.md, "Interval coverage".)
  std::mt19937_64 rng(20261204);
  const auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1p-53; };
  long inside = 0;
  long below = 0;
  long above = 0;
  long scored = 0;
  for (int j = 0; j < 100; ++j) {
    const double growth = std::exp(0.004 * (2 * uniform() - 1));
    const auto job = paced_job(rng(), growth, 0.3);
    HedgeEstimator hedge;
    for (std::size_t i = 0; i + 1 < job.size(); ++i) {
      hedge.observe(job[i].t, job[i].p, job[i].stage);
      if (job[i].p < 5 || job[i].p > 95)
        continue;
      const auto range = hedge.range(job[i].t);
      ASSERT_TRUE(range.has_value());
      const double truth = remaining_after(job, i);
      ++scored;
      inside += range->low <= truth && truth <= range->high;
      below += truth < range->low;
      above += truth > range->high;
    }
  }
  const double n = static_cast<double>(scored);
  EXPECT_GT(static_cast<double>(inside) / n, 0.75);
  EXPECT_LT(static_cast<double>(below) / n, 0.15);
  EXPECT_LT(static_cast<double>(above) / n, 0.15);
}

TEST(HedgeEtaTest, ASteadyRunGetsANarrowerIntervalThanANoisyOne) {
  const auto steady = spreads_at(paced_job(2, 1.0, 0.05), 50);
  const auto noisy = spreads_at(paced_job(2, 1.0, 1.5), 50);
  EXPECT_LT(steady.first, noisy.first);
  EXPECT_LT(steady.second, noisy.second);
}

// A three-stage job whose stages run at 4, 1 and 3 s/%, with per-step noise.
std::vector<Report> three_stage_job(std::uint64_t seed, double speed) {
  std::mt19937_64 rng(seed);
  const auto noise = [&rng] { return 0.8 + 0.4 * static_cast<double>(rng() >> 11) * 0x1p-53; };
  std::vector<Report> job;
  double t = 0;
  double p = 0;
  const struct {
    const char* name;
    double percent;
    double pace;
  } stages[] = {{"load", 20, 4.0}, {"solve", 50, 1.0}, {"export", 30, 3.0}};
  for (const auto& stage : stages) {
    job.push_back({t, p, stage.name});
    for (int k = 0; k < 2 * stage.percent; ++k) {
      t += speed * stage.pace * 0.5 * noise();
      p += 0.5;
      job.push_back({t, p, stage.name});
    }
  }
  job.back().p = 100;
  return job;
}

EtaHistory history_of(const std::vector<std::vector<Report>>& jobs) {
  std::vector<std::vector<std::pair<double, double>>> runs;
  for (const auto& job : jobs) {
    auto& run = runs.emplace_back();
    for (const auto& r : job)
      run.emplace_back(r.t, r.p);
  }
  return EtaHistory::from_runs(runs);
}

// Mean relative error of the reported ETA at from, from + 10, ..., 90 %.
double mean_error(const std::vector<Report>& job, const EtaHistory* history, int from = 10) {
  double total = 0;
  const int points = (90 - from) / 10 + 1;
  for (int percent = from; percent <= 90; percent += 10) {
    HedgeEstimator hedge;
    if (history)
      hedge.set_history(*history);
    const std::size_t at = feed_until(hedge, job, percent);
    const double truth = remaining_after(job, at);
    total += std::abs(*hedge.estimate(job[at].t) - truth) / truth / points;
  }
  return total;
}

TEST(HedgeEtaTest, HistoryThatMatchesTheRunAtLeastHalvesTheError) {
  // The stages' different speeds are what a live estimate cannot know in
  // advance; three earlier runs of the same job, on a machine 1.5 times
  // faster, know them, and the speed ratio is measured as the run goes.
  const auto job = three_stage_job(1, 1.5);
  const EtaHistory history =
      history_of({three_stage_job(2, 1.0), three_stage_job(3, 1.0), three_stage_job(4, 1.0)});
  ASSERT_EQ(history.runs, 3);
  const double without = mean_error(job, nullptr);
  const double with = mean_error(job, &history);
  EXPECT_LT(with, 0.5 * without) << "without " << without << ", with " << with;
}

TEST(HedgeEtaTest, HistoryOfADifferentJobLosesItsWeightAndCostsLittle) {
  // Earlier runs whose stages ran at other speeds (a different input): the
  // history is judged wrong as soon as the run shows it, loses its weight,
  // and the estimate stays about as good as without it.
  const auto job = three_stage_job(1, 1.0);
  std::vector<std::vector<Report>> others;
  for (std::uint64_t seed : {5, 6, 7}) {
    auto other = three_stage_job(seed, 1.0);
    // Stages at 1, 4 and 1 s/% instead of 4, 1 and 3.
    double t = 0;
    double previous = 0;
    for (auto& r : other) {
      const double step = r.t - previous;
      previous = r.t;
      t += step * (r.stage == "load" ? 0.25 : r.stage == "solve" ? 4.0 : 1.0 / 3.0);
      r.t = t;
    }
    others.push_back(other);
  }
  const EtaHistory history = history_of(others);
  // While the run is in its first stage it looks like the earlier runs on a
  // machine 4 times slower, and the history is trusted: that costs, and
  // cannot be told apart from a slower machine. Once the second stage has
  // shown the difference the estimate is about as good as without history.
  const double without = mean_error(job, nullptr, 40);
  const double with = mean_error(job, &history, 40);
  EXPECT_LT(with, without + 0.1) << "without " << without << ", with " << with;
  HedgeEstimator hedge;
  hedge.set_history(history);
  // Half way through the second stage the earlier runs have been wrong by a
  // factor of 4 for 15 %.
  feed_until(hedge, job, 35);
  EXPECT_LT(hedge.weights()[4], 0.01);
}

TEST(HedgeEtaTest, StageDurationsBecomeAHistoryOfThePlansPercents) {
  const StagePlan plan = StagePlan::from_weights({{"load", 20}, {"solve", 50}, {"export", 30}});
  // Two runs, the second twice as long; each stage's progress grows evenly.
  const std::vector<std::vector<StageDuration>> runs = {
      {{"load", 80}, {"solve", 50}, {"export", 90}},
      {{"load", 160}, {"solve", 100}, {"export", 180}}};
  const EtaHistory history = EtaHistory::from_stage_durations(plan, runs);
  ASSERT_EQ(history.runs, 2);
  // The mean log of the times each percent was reached: 20 % at 80 s and 160 s.
  EXPECT_NEAR(history.log_elapsed[20], (std::log(80.0) + std::log(160.0)) / 2, 1e-9);
  EXPECT_NEAR(history.log_elapsed[10], (std::log(40.0) + std::log(80.0)) / 2, 1e-9);
  EXPECT_NEAR(history.log_elapsed[45], (std::log(105.0) + std::log(210.0)) / 2, 1e-9);
  EXPECT_NEAR(history.log_elapsed[100], (std::log(220.0) + std::log(440.0)) / 2, 1e-9);
  EXPECT_NEAR(history.log_remaining[70], (std::log(90.0) + std::log(180.0)) / 2, 1e-9);
  // The same as the reports an even pace through each stage would have made.
  std::vector<std::vector<std::pair<double, double>>> reports(1);
  for (int k = 0; k <= 100; ++k) {
    const double t = k <= 20 ? 4.0 * k : k <= 70 ? 80 + 1.0 * (k - 20) : 130 + 3.0 * (k - 70);
    reports[0].emplace_back(t, k);
  }
  const EtaHistory one = EtaHistory::from_stage_durations(plan, {runs[0]});
  const EtaHistory expected = EtaHistory::from_runs(reports);
  for (int k = 1; k <= 100; ++k)
    EXPECT_NEAR(one.log_elapsed[k], expected.log_elapsed[k], 1e-9) << k;
}

TEST(HedgeEtaTest, StageDurationsOfAnotherPlanOrAnUnfinishedRunAreSkipped) {
  const StagePlan plan = StagePlan::from_weights({{"load", 20}, {"solve", 80}});
  const EtaHistory history = EtaHistory::from_stage_durations(
      plan, {{{"load", 10}, {"solve", 40}},
             {{"load", 10}, {"unpack", 5}, {"solve", 40}},  // a stage the plan lacks
             {{"load", 10}},                                // never reached the end
             {{"load", -1}, {"solve", 40}},                 // no duration
             {{"load", 10}, {"solve", std::nan("")}}});
  EXPECT_EQ(history.runs, 1);
  EXPECT_NEAR(history.log_elapsed[100], std::log(50.0), 1e-9);
  EXPECT_EQ(EtaHistory::from_stage_durations(plan, {}).runs, 0);
}

TEST(HedgeEtaTest, SettingsAreSetByNameAndRejectUnknownNames) {
  eta::HedgeSettings settings;
  EXPECT_TRUE(settings.set("selectivity", 0.5));
  EXPECT_DOUBLE_EQ(settings.selectivity, 0.5);
  EXPECT_FALSE(settings.set("no_such_constant", 1));
  EXPECT_FALSE(settings.set("selectivity", std::nan("")));
}

}  // namespace
}  // namespace headway
