#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/eta_reports.hpp"
#include "headway/eta.hpp"

namespace headway::eta {

// The hedge estimator's constants, each with a meaning that does not depend
// on a trace shape. Those marked [cv] were chosen by leave-one-family-out
// cross-validation on the generated bench (bench/eta/, docs/eta.md); the
// others are kept from the staged estimator's design. Runtime values (not
// constexpr) so `headway eta-replay --param` and the cross-validation driver
// can vary them; the Tracker always uses the defaults.
struct HedgeSettings {
  // Progress (percent) over which the recent window's memory decays by 1/e.
  double recent_window_percent = 5.0;
  // Progress (percent) over which the memory of scoring errors decays by 1/e.
  double error_memory_percent = 10.0;
  // A candidate filed at progress q is judged on [q, now], now - q = min(percent
  // left, horizon_share * percent done).
  double horizon_share = 0.5;
  // ... and at most this many percent back. [cv]
  double horizon_max_percent = 10.0;
  // Weight of a candidate = exp(-(its mean squared log error - the best one's)
  // / selectivity). [cv]
  double selectivity = 0.1;
  // The forecast's log pace may move at most this much per percent of progress
  // (so by a factor e^cap per percent); <= 0 turns the cap off. [cv]
  double max_log_move_per_percent = 1.0;
  // Point forecast = median * exp(-sigma^2), sigma^2 growing linearly with
  // progress from the first value at 0 % to the second ([cv]) at 100 %.
  double log_variance_at_start = 0.05;
  double log_variance_at_end = 0.1;
  // Plus this share of the combined forecast's backtested mean squared log
  // error: a job whose forecasts have held up is shrunk less. [cv]
  double log_variance_backtest_gain = 0.5;
  // The 80 % interval in log space: median * exp(-low_z * s_low) to median *
  // exp(high_z * s_high), s^2 = sigma^2 + the combined forecast's backtested
  // mean squared log error on that side (forecasts the work outran for the
  // low end, forecasts it took longer than for the high end), each counted
  // twice, shrunk towards kPriorSquaredError. [cv]
  double interval_low_z = 1.25;
  double interval_high_z = 2.05;
  // How many percent of progress of the run's own evidence that prior is
  // worth: with errors remembered over error_memory_percent (10 %), 20 keeps
  // a third of each end from the run itself at most. [cv]
  double interval_prior_percent = 20.0;
  // 0-4 forecasts with that candidate alone (ema, linear, recent, stage,
  // history), to score the simple methods through the same code; -1 (the
  // default) mixes.
  double single_candidate = -1;

  struct Field {
    std::string_view name;
    double HedgeSettings::*member;
  };
  static std::span<const Field> fields();
  // Sets the named constant; false for an unknown name or a non-finite value.
  bool set(std::string_view name, double value);
};

// Online-weighted mix of the simple ETA methods (registered as "hedge");
// docs/eta.md has the model, the reasons and its cross-validated scores.
//
// Four candidate paces (seconds per percent), each one of the methods progress
// bars use, each right on some jobs and wrong by a factor on others (and a
// fifth, `history`, when earlier runs of the job are known: what they took
// from this percent on, scaled by how fast this run has been against them):
//   ema     tqdm's estimator: exponential averages (smoothing 0.3) of the time
//           and the progress of each report;
//   linear  the whole job's average, elapsed / progress;
//   recent  a window decaying in progress (recent_window_percent);
//   stage   the current stage's average since it began (or since a restart).
// At every whole percent each candidate's log pace is filed; at later whole
// percents a filed forecast is judged on the time the work since actually
// took, at the horizon the ETA has to cover. The forecast is the log-space
// mix of the candidates weighted by exp(-excess error / selectivity), so one
// that has been wrong by a factor loses its weight within a few percent. The
// forecast may move by at most a factor e^cap per percent of progress, so one
// odd report cannot swing it. Time since the last progress counts as a
// possible slowdown once it exceeds what a typical step takes.
//
// observe() is O(1) and allocation-free except when a stage name longer than
// the small-string buffer first appears; its logs and exps run once per whole
// percent. Not thread-safe (see EtaEstimator).
class HedgeEstimator final : public EtaEstimator, private ReportBookkeeping {
 public:
  // The four simple methods, and a fifth from earlier runs (set_history()),
  // which weighs nothing without them.
  static constexpr std::size_t kCandidates = 5;
  // tqdm's default smoothing, not a choice of ours: the ema candidate is tqdm.
  static constexpr double kEmaSmoothing = 0.3;
  // Share of the recent window's memory kept at a stage change.
  static constexpr double kStageCarryOver = 0.03;
  // Prior mean squared log error of every candidate, worth 1 % of evidence.
  static constexpr double kPriorSquaredError = 0.1;
  static constexpr double kPriorWeightPercent = 1.0;
  // No estimate until progress has moved this far (percent) in total.
  static constexpr double kMinProgressPercent = 0.5;

  HedgeEstimator() : HedgeEstimator(HedgeSettings{}) {}
  explicit HedgeEstimator(const HedgeSettings& settings);

  void observe(double elapsed, double overall_percent, std::string_view stage) override;
  std::optional<double> estimate(double now_elapsed) const override;
  std::optional<double> display_percent(double now_elapsed) const override;
  std::optional<EtaRange> range(double now_elapsed) const override;
  void set_history(const EtaHistory& history) override;
  std::string_view name() const override { return "hedge"; }

  // The candidates' current weights (summing to 1), for tests and diagnostics.
  std::array<double, kCandidates> weights() const { return weights_; }

 private:
  using LogPaces = std::array<double, kCandidates>;
  struct Filed {
    bool valid = false;
    double elapsed = 0;
    double percent = 0;
    LogPaces log_pace{};
    double combined = 0;
    // The history's share of `combined` and the pace it stood for there (the
    // rest of the job's), so the combined forecast is judged, like the
    // history, on what the earlier runs took over the stretch judged.
    double history_weight = 0;
    double history_log_pace = 0;
  };

  bool ready() const;
  LogPaces log_paces() const;
  double mixed_log_pace() const;
  double capped_log_pace() const;
  double median_remaining(double now_elapsed) const;
  double log_variance() const;
  double backtested_squared_error() const;
  double backtested_side_error(double side_sum) const;
  void on_whole_percent(int first, int last, double elapsed);
  void score_filed();
  void pin_single_candidate();
  void set_weights(const LogPaces& mse);
  double history_prior_error() const;
  double history_log_speed() const;
  double history_log_elapsed(double percent) const;
  double history_log_remaining(double percent) const;

  HedgeSettings settings_;
  double recent_decay_rate_;
  double progressed_ = 0;
  // Progress the whole-job average divides by: the first report's progress
  // plus every advance since (work redone after a restart counts again).
  double linear_percent_ = 0;
  double typical_step_ = 0;
  // Decayed sums: pace = seconds / percent.
  double recent_seconds_ = 0;
  double recent_percent_ = 0;
  double ema_seconds_ = 0;
  double ema_percent_ = 0;
  // Scores: decayed, progress-weighted squared log errors per candidate and of
  // the combined forecast.
  LogPaces squared_error_{};
  double combined_squared_error_ = 0;
  // The same split by sign: the work took longer than forecast (the truth
  // comes late, error > 0: the high end) or less (the low end).
  double combined_late_error_ = 0;
  double combined_early_error_ = 0;
  double error_weight_ = 0;
  std::array<double, kCandidates> weights_{};
  // The forecast's log pace at the last whole-percent crossing, and where.
  bool anchored_ = false;
  double anchor_log_pace_ = 0;
  double anchor_p_ = 0;
  std::array<Filed, 101> filed_{};
  bool has_history_ = false;
  EtaHistory history_;
};

}  // namespace headway::eta
