#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "core/eta_reports.hpp"
#include "headway/eta.hpp"

namespace headway::eta {

// Stage-aware pace estimator (registered as "staged"); docs/eta.md has the
// model, the reasoning behind each part and its benchmark scores.
//
// It works in "pace" (seconds per percent) rather than rate, because pace
// averages correctly over reports of any size: a burst of tiny reports and one
// large report covering the same work give the same pace.
//
// Three candidate paces, each a different bet on how far back the past still
// describes the future:
//   short pace   seconds/percent over about the last 1 % of progress
//                (exponential decay in progress, not in reports or time);
//   recent pace  the same over about the last 5 %;
//   stage pace   seconds/percent since the current stage (or restart) began.
// Both windows keep only a trace of their memory at a stage change, so the new
// stage's speed takes over within a fraction of a percent.
//
// Which bet is right differs from job to job, so the estimator keeps score
// online: at every whole percent it files each candidate's (log) pace, and at
// each later whole percent it compares what a filed candidate predicted for the
// work done since with the time that work actually took. The forecast is a
// log-space average of the candidates, weighted sharply towards the ones whose
// recent predictions held up. Everything scored has already happened, so this
// stays causal.
//
//   reported   the forecast scaled down for uncertainty, because a late ETA is
//              worse than an early one of the same size (kLogVarianceAtStart,
//              kLogVarianceAtEnd);
//   display    display_percent() uses the unscaled forecast (the median).
//
// A single report that took far longer than the recent window (a silent stall)
// is clamped before it enters the windows; it still counts in the stage pace.
// Time since the last progress counts as a possible slowdown once it exceeds
// what a typical step takes, so a stall raises the ETA smoothly. Progress going
// down is a restart from a checkpoint: the work ahead is the work just done, so
// the windows and the scores carry on and the estimate does not go blank; the
// stage pace and the filed forecasts start again from that report.
//
// observe() is O(1) and allocation-free except when a stage name longer than
// the small-string buffer first appears (a restart clears the fixed-size score
// table, 101 slots). Not thread-safe (see EtaEstimator).
class StagedPaceEstimator final : public EtaEstimator, private ReportBookkeeping {
 public:
  // Progress (in percent) over which each window's memory decays by 1/e.
  static constexpr double kShortWindowPercent = 1.0;
  static constexpr double kRecentWindowPercent = 5.0;
  // Share of each window's memory kept when the stage changes.
  static constexpr double kStageCarryOver = 0.03;
  // A single report's time counts at most this many recent (5 %) windows.
  static constexpr double kOutlierWindows = 2.0;
  // Scoring: a candidate filed at progress q is judged on [q, now], where
  // now - q = min(percent left, kHorizonShare * percent done): as long a
  // stretch as is left to forecast, but no longer than half the history.
  static constexpr double kHorizonShare = 0.5;
  // Progress (percent) over which the memory of scoring errors decays by 1/e.
  static constexpr double kErrorMemoryPercent = 15.0;
  // Prior mean squared log error of every candidate, worth this much progress
  // (percent) of evidence; it decides the weights until scoring has begun.
  static constexpr double kPriorSquaredError = 0.1;
  static constexpr double kPriorWeightPercent = 1.0;
  // Weight of a candidate = exp(-(its mean squared log error - the best one's)
  // / kSelectivity): a candidate 0.003 worse in squared log error gets 1/e.
  static constexpr double kSelectivity = 0.003;
  // Uncertainty shrink: reported = median forecast * exp(-sigma^2), the best
  // point forecast under relative error when the log of the true remaining
  // time has variance sigma^2. sigma^2 grows linearly with progress, from
  // kLogVarianceAtStart at 0 % to kLogVarianceAtEnd at 100 %: the surprises a
  // pace cannot see (a slow last step, a stall, an early finish) are roughly
  // fixed in size, so they weigh more as the remaining time gets shorter.
  static constexpr double kLogVarianceAtStart = 0.05;
  static constexpr double kLogVarianceAtEnd = 0.25;
  // No estimate until progress has moved this far (percent) in total.
  static constexpr double kMinProgressPercent = 0.5;

  static constexpr std::size_t kCandidates = 3;
  // observe() derives the short window's decay from the recent window's, so
  // their ratio is fixed.
  static_assert(kRecentWindowPercent == 5 * kShortWindowPercent);

  void observe(double elapsed, double overall_percent, std::string_view stage) override;
  std::optional<double> estimate(double now_elapsed) const override;
  std::optional<double> display_percent(double now_elapsed) const override;
  std::string_view name() const override { return "staged"; }

 private:
  using LogPaces = std::array<double, kCandidates>;
  struct Window {
    double seconds = 0;  // decayed sums: pace = seconds / percent
    double percent = 0;
  };
  // The candidates as filed at the first report at or past a whole percent.
  struct Filed {
    bool valid = false;
    double elapsed = 0;
    double percent = 0;
    LogPaces log_pace{};
  };

  std::optional<LogPaces> candidates(double now_elapsed) const;
  std::optional<double> median_remaining(double now_elapsed) const;
  void score_filed();
  // sigma^2 of the log forecast error at the current progress.
  double log_variance() const;

  // Progress advanced in total, over all restarts.
  double progressed_ = 0;
  Window short_;
  Window recent_;
  // Typical percent per progress report, for judging a silence.
  double typical_step_ = 0;
  bool stage_fresh_ = true;  // no progress seen yet in the current stage/window
  // Decayed, progress-weighted sums of each candidate's squared log error,
  // updated when a whole percent is crossed (scored_p_ is the progress then).
  LogPaces squared_error_{};
  double error_weight_ = 0;
  std::array<Filed, 101> filed_{};  // index: whole percent
};

}  // namespace headway::eta
