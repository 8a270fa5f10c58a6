#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>

#include "core/eta_staged.hpp"
#include "headway/eta.hpp"

namespace headway {
namespace {

std::unique_ptr<EtaEstimator> make(std::string_view name) {
  auto estimator = make_eta_estimator(name);
  EXPECT_NE(estimator, nullptr) << name;
  return estimator;
}

// The reported ETA's factor below the median forecast at `percent` progress.
double shrink_at(double percent) {
  using Staged = eta::StagedPaceEstimator;
  return std::exp(-(Staged::kLogVarianceAtStart +
                    (Staged::kLogVarianceAtEnd - Staged::kLogVarianceAtStart) * percent / 100.0));
}

// Feeds a job running at `percent_per_second`, one report per second, up to
// (and including) `until_percent`.
void feed_constant_rate(EtaEstimator& estimator, double percent_per_second, double until_percent) {
  for (int second = 0;; ++second) {
    const double percent = percent_per_second * second;
    if (percent > until_percent + 1e-9)
      break;
    estimator.observe(second, percent, "processing");
  }
}

TEST(StagedEtaTest, ConstantRateConvergesToTheTrueEtaScaledForUncertainty) {
  auto estimator = make("staged");
  feed_constant_rate(*estimator, 0.5, 50.0);  // t = 100 s, 100 s left
  const auto eta = estimator->estimate(100.0);
  ASSERT_TRUE(eta.has_value());
  // The reported ETA is the median forecast times the relative-error-optimal
  // shrink; the display percent carries the unscaled forecast.
  EXPECT_NEAR(*eta, shrink_at(50.0) * 100.0, 0.5);
  const auto shown = estimator->display_percent(100.0);
  ASSERT_TRUE(shown.has_value());
  EXPECT_NEAR(*shown, 50.0, 0.3);
}

TEST(StagedEtaTest, FirstReportYieldsNoEstimateRatherThanAWildOne) {
  auto estimator = make("staged");
  estimator->observe(0.0, 0.0, "loading");
  EXPECT_FALSE(estimator->estimate(0.0).has_value());
  auto late_start = make("staged");
  late_start->observe(3.0, 2.0, "loading");
  EXPECT_FALSE(late_start->estimate(3.0).has_value());
  EXPECT_FALSE(late_start->display_percent(3.0).has_value());
}

TEST(StagedEtaTest, StallRaisesTheEtaSmoothlyWithoutExploding) {
  auto estimator = make("staged");
  feed_constant_rate(*estimator, 1.0, 50.0);  // last report at t = 50
  const double at_report = *estimator->estimate(50.0);
  double previous = at_report;
  for (double now = 51.0; now <= 50.0 + 600.0; now += 1.0) {
    const auto eta = estimator->estimate(now);
    ASSERT_TRUE(eta.has_value()) << now;
    ASSERT_TRUE(std::isfinite(*eta)) << now;
    // Each second of silence counts as a second spent on each window's
    // progress, so the ETA grows by a bounded amount per second (the
    // candidates' log-average keeps it well under 10 s/s here). It never jumps.
    EXPECT_LE(std::abs(*eta - previous), 10.0) << now;
    previous = *eta;
  }
  // Ten minutes without progress on a job that was 50 s from done: the ETA
  // has risen, but stays within the bounds of the evidence.
  EXPECT_GT(previous, at_report * 2);
  EXPECT_LT(previous, 10 * 600.0);
}

TEST(StagedEtaTest, RestartFromACheckpointKeepsEstimatingAtThePaceAlreadySeen) {
  auto estimator = make("staged");
  feed_constant_rate(*estimator, 1.0, 60.0);
  estimator->observe(61.0, 30.0, "processing");  // resumed from a checkpoint
  // The work from 30 % on is the work already done once at 1 %/s: 70 s left,
  // with no blank while the resumed run proves itself again.
  const auto right_after = estimator->estimate(61.0);
  ASSERT_TRUE(right_after.has_value());
  EXPECT_NEAR(*right_after, shrink_at(30.0) * 70.0, 1.0);
  ASSERT_TRUE(estimator->display_percent(61.0).has_value());
  for (int k = 1; k <= 10; ++k)
    estimator->observe(61.0 + k, 30.0 + k, "processing");
  const auto eta = estimator->estimate(71.0);
  ASSERT_TRUE(eta.has_value());
  // 60 % left at 1 %/s; the lost work and the time it took do not count.
  EXPECT_NEAR(*eta, shrink_at(40.0) * 60.0, 1.0);
}

TEST(StagedEtaTest, RestartIntoAnEarlierStageFollowsThatStagesNewPace) {
  auto estimator = make("staged");
  double t = 0;
  for (int k = 1; k <= 40; ++k)
    estimator->observe(t += 1.0, k, "first");  // 1 %/s
  for (int k = 41; k <= 60; ++k)
    estimator->observe(t += 4.0, k, "second");  // 0.25 %/s
  estimator->observe(t += 5.0, 35.0, "first");  // back to a checkpoint in "first"
  ASSERT_TRUE(estimator->estimate(t).has_value());
  for (int k = 36; k <= 40; ++k)
    estimator->observe(t += 1.0, k, "first");
  const double eta = *estimator->estimate(t);
  EXPECT_TRUE(std::isfinite(eta));
  // 60 % left: 60 s at the first stage's pace, 240 s at the second's.
  EXPECT_GT(eta, 40.0);
  EXPECT_LT(eta, 240.0);
}

TEST(StagedEtaTest, HeartbeatsWithinAnOrdinaryStepLetTheEtaCountDown) {
  // 1 % every 10 s with a heartbeat (same progress) every 2 s in between:
  // silence shorter than a typical step is no evidence of a slowdown.
  auto estimator = make("staged");
  double t = 0;
  for (int k = 0; k <= 50; ++k) {
    if (k > 0) {
      for (int beat = 1; beat <= 4; ++beat)
        estimator->observe(t + 2.0 * beat, k - 1, "processing");
      t += 10.0;
    }
    estimator->observe(t, k, "processing");
  }
  double previous = *estimator->estimate(t);
  for (int beat = 1; beat <= 4; ++beat) {
    estimator->observe(t + 2.0 * beat, 50.0, "processing");
    const double eta = *estimator->estimate(t + 2.0 * beat);
    EXPECT_NEAR(eta, previous - 2.0 * shrink_at(50.0), 0.01) << beat;
    previous = eta;
  }
}

TEST(StagedEtaTest, NewStageTakesOverTheForecastWithinAFewPercent) {
  auto estimator = make("staged");
  double t = 0;
  for (int k = 0; k <= 50; ++k)
    estimator->observe(t += 0.1, k * 0.2, "fast");  // 2 %/s
  for (int k = 1; k <= 10; ++k)
    estimator->observe(t += 2.0, 10.0 + k * 0.2, "slow");  // 0.1 %/s
  const double eta = *estimator->estimate(t);
  // At 0.1 %/s, 88 % takes 880 s; the old stage's pace still tempers it.
  EXPECT_GT(eta, 300.0);
  EXPECT_LT(eta, 900.0);
}

TEST(StagedEtaTest, OnlineScoringFavoursThePaceThatKeepsPredictingWell) {
  // Per-percent time falls steadily from 3 s to 0.3 s: the stage average keeps
  // overestimating and the short window keeps being closest, so the forecast
  // should sit well below the stage average's.
  auto estimator = make("staged");
  double t = 0;
  for (int k = 1; k <= 60; ++k) {
    t += 3.0 - 2.7 * (k - 1) / 99.0;
    estimator->observe(t, k, "processing");
  }
  double truth = 0;
  for (int k = 61; k <= 100; ++k)
    truth += 3.0 - 2.7 * (k - 1) / 99.0;
  const double stage_average = 40.0 * t / 60.0;
  const double median = *estimator->estimate(t) / shrink_at(60.0);
  EXPECT_LT(median, 0.85 * stage_average);
  EXPECT_GT(median, truth);  // still causal: it cannot foresee the speed-up
}

TEST(StagedEtaTest, UncertaintyShrinkIsSmallEarlyAndLargerNearTheEnd) {
  // The same steady job seen at 20 % and at 80 %: both medians are right, but
  // near the end a fixed-size surprise is a larger share of what is left, so
  // the reported ETA sits further below the median.
  auto early = make("staged");
  feed_constant_rate(*early, 1.0, 20.0);
  auto late = make("staged");
  feed_constant_rate(*late, 1.0, 80.0);
  const double early_ratio = *early->estimate(20.0) / 80.0;
  const double late_ratio = *late->estimate(80.0) / 20.0;
  EXPECT_NEAR(early_ratio, shrink_at(20.0), 0.01);
  EXPECT_NEAR(late_ratio, shrink_at(80.0), 0.01);
  EXPECT_GT(early_ratio, late_ratio);
}

TEST(StagedEtaTest, ReportGranularityDoesNotChangeTheForecast) {
  // One job, reported once per percent or ten times per percent: scoring runs
  // at whole-percent crossings and weighs by progress, so both see the same
  // evidence. The pace changes halfway so the scores actually matter.
  const auto run = [](int reports_per_percent) {
    auto estimator = make("staged");
    double t = 0;
    for (int k = 1; k <= 70 * reports_per_percent; ++k) {
      const double percent = static_cast<double>(k) / reports_per_percent;
      t += (percent <= 40 ? 1.0 : 2.5) / reports_per_percent;
      estimator->observe(t, percent, "processing");
    }
    return *estimator->estimate(t);
  };
  const double coarse = run(1);
  const double fine = run(10);
  EXPECT_NEAR(fine, coarse, 0.05 * coarse);
}

TEST(StagedEtaTest, FinishedJobHasZeroEta) {
  auto estimator = make("staged");
  feed_constant_rate(*estimator, 1.0, 100.0);
  EXPECT_DOUBLE_EQ(*estimator->estimate(100.0), 0.0);
  EXPECT_DOUBLE_EQ(*estimator->display_percent(100.0), 100.0);
}

// Hand-computed from reference_estimators.py's SeedWindow (the `seed` anchor).
TEST(ReferenceEtaTest, MatchesTheSeedAnchorOnHandComputedPoints) {
  auto estimator = make("reference");
  estimator->observe(0.0, 0.0, "a");
  EXPECT_FALSE(estimator->estimate(0.0).has_value());  // no rate, no progress
  estimator->observe(10.0, 10.0, "a");
  EXPECT_DOUBLE_EQ(*estimator->estimate(10.0), 90.0);  // 1 %/s, 90 % left
  estimator->observe(20.0, 15.0, "a");
  EXPECT_NEAR(*estimator->estimate(20.0), 85.0 / 0.75, 1e-9);  // 15 % in 20 s
  estimator->observe(30.0, 15.0, "a");
  EXPECT_NEAR(*estimator->estimate(30.0), 85.0 / 0.5, 1e-9);  // 15 % in 30 s
  // Only the last 10 reports count: after 10 more at 2 %/s the window's rate is 2 %/s.
  for (int k = 1; k <= 10; ++k)
    estimator->observe(30.0 + k, 15.0 + 2.0 * k, "a");
  EXPECT_NEAR(*estimator->estimate(40.0), (100.0 - 35.0) / 2.0, 1e-9);

  auto fallback = make("reference");
  fallback->observe(10.0, 20.0, "a");  // one report: t * (100 - p) / p
  EXPECT_DOUBLE_EQ(*fallback->estimate(10.0), 40.0);
}

TEST(EtaRegistryTest, UnknownNameReturnsNullptr) {
  EXPECT_EQ(make_eta_estimator("no-such-estimator"), nullptr);
  EXPECT_EQ(make_eta_estimator(""), nullptr);
}

TEST(EtaRegistryTest, EveryListedNameBuildsAnEstimatorOfThatName) {
  const auto names = eta_estimator_names();
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    auto estimator = make_eta_estimator(name);
    ASSERT_NE(estimator, nullptr) << name;
    EXPECT_EQ(estimator->name(), name);
  }
  EXPECT_EQ(make_default_eta_estimator()->name(), names.front());
}

}  // namespace
}  // namespace headway
