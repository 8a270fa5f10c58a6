#include "eta_hedge.hpp"

#include <algorithm>
#include <cmath>

namespace headway::eta {

std::span<const HedgeSettings::Field> HedgeSettings::fields() {
  static constexpr Field kFields[] = {
      {"recent_window_percent", &HedgeSettings::recent_window_percent},
      {"error_memory_percent", &HedgeSettings::error_memory_percent},
      {"horizon_share", &HedgeSettings::horizon_share},
      {"horizon_max_percent", &HedgeSettings::horizon_max_percent},
      {"selectivity", &HedgeSettings::selectivity},
      {"max_log_move_per_percent", &HedgeSettings::max_log_move_per_percent},
      {"log_variance_at_start", &HedgeSettings::log_variance_at_start},
      {"log_variance_at_end", &HedgeSettings::log_variance_at_end},
      {"log_variance_backtest_gain", &HedgeSettings::log_variance_backtest_gain},
      {"interval_low_z", &HedgeSettings::interval_low_z},
      {"interval_high_z", &HedgeSettings::interval_high_z},
      {"interval_prior_percent", &HedgeSettings::interval_prior_percent},
      {"single_candidate", &HedgeSettings::single_candidate},
  };
  return kFields;
}

bool HedgeSettings::set(std::string_view name, double value) {
  if (!std::isfinite(value))
    return false;
  for (const auto& field : fields()) {
    if (field.name == name) {
      this->*field.member = value;
      return true;
    }
  }
  return false;
}

namespace {

enum Candidate : std::size_t { kEma, kLinear, kRecent, kStage, kHistory };

}  // namespace

HedgeEstimator::HedgeEstimator(const HedgeSettings& settings)
    : settings_(settings), recent_decay_rate_(1.0 / settings.recent_window_percent) {
  // Until scoring has begun the candidates weigh equally.
  LogPaces prior;
  prior.fill(kPriorSquaredError);
  set_weights(prior);
}

void HedgeEstimator::set_history(const EtaHistory& history) {
  if (history.runs <= 0)
    return;
  history_ = history;
  has_history_ = true;
  // Runs that agree with each other are a better prior than one that does
  // not: the history candidate's prior error is their spread.
  LogPaces prior;
  prior.fill(kPriorSquaredError);
  prior[kHistory] = history_prior_error();
  set_weights(prior);
}

double HedgeEstimator::history_log_elapsed(double percent) const {
  // The runs are known at whole percents: in between, interpolated; below 1 %
  // the time to get there taken as growing in proportion to progress.
  if (percent < 1)
    return history_.log_elapsed[1] + std::log(std::max(percent, 0.01));
  if (percent >= 100)
    return history_.log_elapsed[100];
  const int k = static_cast<int>(percent);
  const double share = percent - k;
  return (1 - share) * history_.log_elapsed[k] + share * history_.log_elapsed[k + 1];
}

double HedgeEstimator::history_log_remaining(double percent) const {
  // log_remaining[100] is no time at all, so from 99 % on the last one holds.
  if (percent < 1)
    return history_.log_remaining[1];
  if (percent >= 99)
    return history_.log_remaining[99];
  const int k = static_cast<int>(percent);
  const double share = percent - k;
  return (1 - share) * history_.log_remaining[k] + share * history_.log_remaining[k + 1];
}

double HedgeEstimator::history_log_speed() const {
  return std::log(moved_t_) - history_log_elapsed(moved_p_);
}

double HedgeEstimator::history_prior_error() const {
  return std::max(history_.log_remaining_variance, 0.01);
}

void HedgeEstimator::set_weights(const LogPaces& mse) {
  // The live candidates against each other.
  double best = mse[0];
  for (std::size_t i = 0; i < kHistory; ++i)
    best = std::min(best, mse[i]);
  double total = 0;
  for (std::size_t i = 0; i < kHistory; ++i) {
    weights_[i] = std::exp(-(mse[i] - best) / settings_.selectivity);
    total += weights_[i];
  }
  // The history against being exact, on the same scale: scoring judges
  // forecasts over short stretches, where a live pace is as good as the
  // earlier runs, so the history could never win against them there. What it
  // knows that they do not is the rest of the job, and it is trusted with it
  // as long as this run keeps looking like the earlier ones.
  const double trust = has_history_ ? std::exp(-mse[kHistory] / settings_.selectivity) : 0.0;
  for (std::size_t i = 0; i < kHistory; ++i)
    weights_[i] *= (1 - trust) / total;
  weights_[kHistory] = trust;
  pin_single_candidate();
}

void HedgeEstimator::pin_single_candidate() {
  if (settings_.single_candidate >= 0 && settings_.single_candidate < kCandidates) {
    weights_.fill(0);
    weights_[static_cast<std::size_t>(settings_.single_candidate)] = 1;
  }
}

void HedgeEstimator::observe(double elapsed, double overall_percent, std::string_view stage) {
  const Arrival arrival = arrive(elapsed, overall_percent, stage);
  // After a restart the paces, scores, weights and forecast carry on; the
  // filed forecasts' elapsed times would span the lost work, and the cap
  // measures from here.
  if (arrival.first)
    linear_percent_ = overall_percent;
  if (arrival.first || arrival.restarted)
    anchor_p_ = overall_percent;
  if (arrival.restarted)
    filed_.fill(Filed{});
  if (arrival.stage_changed) {
    // Stages run at very different speeds: the recent window keeps only a
    // trace of the old one. tqdm's average and the whole-job average do not
    // know about stages, which is what they are there for.
    recent_seconds_ *= kStageCarryOver;
    recent_percent_ *= kStageCarryOver;
  }
  if (overall_percent > moved_p_) {
    const double previous_p = moved_p_;
    const double step = overall_percent - moved_p_;
    const double seconds = elapsed - moved_t_;
    const double decay = std::exp(-step * recent_decay_rate_);
    recent_seconds_ = recent_seconds_ * decay + seconds;
    recent_percent_ = recent_percent_ * decay + step;
    // tqdm's bias correction divides both averages by the same factor, so the
    // ratio needs none.
    ema_seconds_ = (1 - kEmaSmoothing) * ema_seconds_ + kEmaSmoothing * seconds;
    ema_percent_ = (1 - kEmaSmoothing) * ema_percent_ + kEmaSmoothing * step;
    typical_step_ = typical_step_ == 0 ? step : 0.8 * typical_step_ + 0.2 * step;
    linear_percent_ += step;
    moved_t_ = elapsed;
    moved_p_ = overall_percent;
    progressed_ += step;
    const int first = std::max(static_cast<int>(std::floor(previous_p)) + 1, 0);
    const int last = std::min(static_cast<int>(std::floor(overall_percent)), 100);
    if (first <= last)
      on_whole_percent(first, last, elapsed);
  }
  settle(arrival, elapsed);
}

bool HedgeEstimator::ready() const {
  return progressed_ > kMinProgressPercent && recent_seconds_ > 0 && ema_seconds_ > 0 &&
         moved_t_ > 0;
}

HedgeEstimator::LogPaces HedgeEstimator::log_paces() const {
  LogPaces out;
  out[kEma] = std::log(ema_seconds_ / ema_percent_);
  out[kLinear] = std::log(moved_t_ / linear_percent_);
  out[kRecent] = std::log(recent_seconds_ / recent_percent_);
  // Until the stage has made progress its pace is unknown; the recent window
  // (mostly the new stage already) stands in.
  const double stage_percent = moved_p_ - stage_p_;
  const double stage_seconds = moved_t_ - stage_t_;
  out[kStage] = stage_percent > 0 && stage_seconds > 0 ? std::log(stage_seconds / stage_percent)
                                                       : out[kRecent];
  // Earlier runs: what they still took from this percent on, times how much
  // slower (or faster) this run has been to get here.
  out[kHistory] = has_history_ && moved_p_ < 100
                      ? history_log_remaining(moved_p_) + history_log_speed() -
                            std::log(100.0 - std::min(moved_p_, 99.0))
                      : out[kRecent];
  return out;
}

double HedgeEstimator::mixed_log_pace() const {
  const LogPaces paces = log_paces();
  double sum = 0;
  for (std::size_t i = 0; i < kCandidates; ++i)
    sum += weights_[i] * paces[i];
  return sum;
}

double HedgeEstimator::capped_log_pace() const {
  const double mixed = mixed_log_pace();
  if (!anchored_ || settings_.max_log_move_per_percent <= 0)
    return mixed;
  const double allowed = settings_.max_log_move_per_percent * std::abs(moved_p_ - anchor_p_);
  return std::clamp(mixed, anchor_log_pace_ - allowed, anchor_log_pace_ + allowed);
}

void HedgeEstimator::on_whole_percent(int first, int last, double elapsed) {
  if (!ready())
    return;
  score_filed();
  // Shrink each mean squared log error towards the prior, then weight by the
  // excess over the best: a candidate wrong by a factor of 2 (squared log
  // error 0.48) against one that is right loses its weight as soon as that
  // error has been seen over a few percent.
  LogPaces mse;
  for (std::size_t i = 0; i < kCandidates; ++i) {
    const double prior = i == kHistory && has_history_ ? history_prior_error() : kPriorSquaredError;
    mse[i] =
        (squared_error_[i] + kPriorWeightPercent * prior) / (error_weight_ + kPriorWeightPercent);
  }
  set_weights(mse);
  // Move the forecast's anchor towards the new mix, by at most the cap.
  anchor_log_pace_ = capped_log_pace();
  anchored_ = true;
  anchor_p_ = moved_p_;
  LogPaces now = log_paces();
  const double history_remaining = now[kHistory];
  // The history candidate is judged on what the earlier runs took over the
  // stretch it is judged on, so it files how fast this run has been against
  // them (log of the time ratio) and score_filed() works out the rest.
  if (has_history_)
    now[kHistory] = history_log_speed();
  const double history_weight = has_history_ ? weights_[kHistory] : 0.0;
  for (int k = first; k <= last; ++k) {
    if (!filed_[k].valid)
      filed_[k] =
          Filed{true, elapsed, moved_p_, now, anchor_log_pace_, history_weight, history_remaining};
  }
}

void HedgeEstimator::score_filed() {
  // Judge the forecast filed `horizon` percent ago on the work done since: as
  // far back as there is work left (the horizon the ETA must cover), within
  // the later part of the history.
  const double step = take_scored_step();
  const int k = judged_slot(settings_.horizon_share, settings_.horizon_max_percent);
  if (k < 0)
    return;
  const Filed& then = filed_[k];
  if (!then.valid || moved_p_ <= then.percent || moved_t_ <= then.elapsed)
    return;
  const double actual = std::log((moved_t_ - then.elapsed) / (moved_p_ - then.percent));
  const double decay = std::exp(-step / settings_.error_memory_percent);
  double history_predicted = then.log_pace[kRecent];
  if (has_history_) {
    // What the earlier runs took from then to now, at this run's speed then.
    const auto elapsed_at = [this](double percent) {
      return std::exp(history_log_elapsed(percent));
    };
    const double took = elapsed_at(moved_p_) - elapsed_at(then.percent);
    if (took > 0)
      history_predicted = then.log_pace[kHistory] + std::log(took / (moved_p_ - then.percent));
  }
  for (std::size_t i = 0; i < kCandidates; ++i) {
    const double predicted = i == kHistory && has_history_ ? history_predicted : then.log_pace[i];
    const double error = actual - predicted;
    squared_error_[i] = squared_error_[i] * decay + step * error * error;
  }
  // The combined forecast's history share stood for the rest of the job's
  // pace; over this stretch it predicted what the history predicted here.
  const double combined_predicted =
      then.combined + then.history_weight * (history_predicted - then.history_log_pace);
  const double combined_error = actual - combined_predicted;
  combined_squared_error_ =
      combined_squared_error_ * decay + step * combined_error * combined_error;
  const double late = std::max(combined_error, 0.0);
  const double early = std::min(combined_error, 0.0);
  combined_late_error_ = combined_late_error_ * decay + step * late * late;
  combined_early_error_ = combined_early_error_ * decay + step * early * early;
  error_weight_ = error_weight_ * decay + step;
}

double HedgeEstimator::median_remaining(double now_elapsed) const {
  // The silence since the last progress is evidence of a slowdown only beyond
  // what a typical step takes: each candidate is recomputed as if the next
  // report, due now, brought a typical step, and the mix moves by as much as
  // that changes it. The cap applies to the forecast from reports only, so a
  // stall still raises the ETA.
  double log_pace = capped_log_pace();
  const double silent = std::max(now_elapsed - moved_t_, 0.0);
  if (silent > 0 && typical_step_ > 0) {
    const LogPaces paces = log_paces();
    const double stage_percent = moved_p_ - stage_p_;
    const double mass[kCandidates] = {
        ema_percent_ / kEmaSmoothing, linear_percent_, recent_percent_,
        stage_percent > 0 ? stage_percent : recent_percent_, recent_percent_};
    double raise = 0;
    for (std::size_t i = 0; i < kCandidates; ++i) {
      const double seconds = std::exp(paces[i]) * mass[i];
      const double with_silence = (seconds + silent) / (mass[i] + typical_step_);
      raise += weights_[i] * std::max(std::log(with_silence) - paces[i], 0.0);
    }
    log_pace += raise;
  }
  return std::max(moved_t_ + (100.0 - moved_p_) * std::exp(log_pace) - now_elapsed, 0.0);
}

double HedgeEstimator::backtested_squared_error() const {
  return (combined_squared_error_ + kPriorWeightPercent * kPriorSquaredError) /
         (error_weight_ + kPriorWeightPercent);
}

double HedgeEstimator::backtested_side_error(double side_sum) const {
  // One side's errors count twice: with errors symmetric about zero each side
  // holds half of the squared error, and this is the mean squared error again.
  const double prior = std::max(settings_.interval_prior_percent, 0.0);
  const double evidence = error_weight_ + prior;
  return evidence > 0 ? (2 * side_sum + prior * kPriorSquaredError) / evidence : kPriorSquaredError;
}

double HedgeEstimator::log_variance() const {
  const double done = std::clamp(moved_p_ / 100.0, 0.0, 1.0);
  return settings_.log_variance_at_start +
         (settings_.log_variance_at_end - settings_.log_variance_at_start) * done +
         settings_.log_variance_backtest_gain * backtested_squared_error();
}

std::optional<double> HedgeEstimator::estimate(double now_elapsed) const {
  if (!ready())
    return std::nullopt;
  // The median times exp(-sigma^2) minimises the expected relative error when
  // the log of the true remaining time has variance sigma^2.
  return std::exp(-log_variance()) * median_remaining(now_elapsed);
}

std::optional<double> HedgeEstimator::display_percent(double now_elapsed) const {
  if (!ready())
    return std::nullopt;
  const double total = now_elapsed + median_remaining(now_elapsed);
  return total > 0 ? 100.0 * now_elapsed / total : 0.0;
}

std::optional<EtaRange> HedgeEstimator::range(double now_elapsed) const {
  if (!ready())
    return std::nullopt;
  // Each end is as far out as this run's own forecasts have missed on that
  // side, backtested, blended with the population's prior while the run has
  // shown little, plus the variance every job has at this progress.
  const double shared = log_variance();
  const double low_spread = std::sqrt(shared + backtested_side_error(combined_early_error_));
  const double high_spread = std::sqrt(shared + backtested_side_error(combined_late_error_));
  const double median = median_remaining(now_elapsed);
  return EtaRange{median * std::exp(-settings_.interval_low_z * low_spread),
                  median * std::exp(settings_.interval_high_z * high_spread)};
}

}  // namespace headway::eta
