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
  EXPECT_NEAR(*eta, eta::StagedPaceEstimator::kUncertaintyShrink * 100.0, 0.5);
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

TEST(StagedEtaTest, RestartBelowThePreviousProgressGivesASaneEstimate) {
  auto estimator = make("staged");
  feed_constant_rate(*estimator, 1.0, 60.0);
  estimator->observe(61.0, 30.0, "processing");  // resumed from a checkpoint
  const auto right_after = estimator->estimate(61.0);
  if (right_after) {
    EXPECT_TRUE(std::isfinite(*right_after) && *right_after >= 0);
  }
  for (int k = 1; k <= 10; ++k)
    estimator->observe(61.0 + k, 30.0 + k, "processing");
  const auto eta = estimator->estimate(71.0);
  ASSERT_TRUE(eta.has_value());
  // 60 % left at 1 %/s is 60 s; time spent before the restart must not count.
  EXPECT_GT(*eta, 30.0);
  EXPECT_LT(*eta, 90.0);
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
  const double median = *estimator->estimate(t) / eta::StagedPaceEstimator::kUncertaintyShrink;
  EXPECT_LT(median, 0.85 * stage_average);
  EXPECT_GT(median, truth);  // still causal: it cannot foresee the speed-up
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
