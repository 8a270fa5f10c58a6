#include "eta_staged.hpp"

#include <algorithm>
#include <cmath>

namespace headway::eta {

void StagedPaceEstimator::observe(double elapsed, double overall_percent, std::string_view stage) {
  const Arrival arrival = arrive(elapsed, overall_percent, stage);
  // After a restart the windows' paces and the candidates' scores stay: they
  // are the best evidence there is for the work done again, and the estimate
  // never goes blank. The filed forecasts' elapsed times would span the lost
  // work.
  if (arrival.restarted)
    filed_.fill(Filed{});
  if (arrival.stage_changed) {
    // Stages run at very different speeds; keep only a trace of the old one as
    // a prior until the new stage has shown its own pace.
    for (Window* window : {&short_, &recent_}) {
      window->seconds *= kStageCarryOver;
      window->percent *= kStageCarryOver;
    }
    stage_fresh_ = true;
  }
  if (overall_percent > moved_p_) {
    const double previous_p = moved_p_;
    const double step = overall_percent - moved_p_;
    double seconds = elapsed - moved_t_;
    // One silent stall must not dominate the forecast for the next several
    // percent; the stage pace still carries all of its time. The first step of
    // a stage is exempt because a slower stage is not an outlier.
    if (recent_.percent > 0 && !stage_fresh_)
      seconds = std::min(seconds, kOutlierWindows * recent_.seconds);
    stage_fresh_ = false;
    // One exp() serves both windows (see the static_assert in the header):
    // this is the Tracker's hot path.
    const double recent_decay = std::exp(-step / kRecentWindowPercent);
    const double recent_decay2 = recent_decay * recent_decay;
    const double short_decay = recent_decay2 * recent_decay2 * recent_decay;
    short_.seconds = short_.seconds * short_decay + seconds;
    short_.percent = short_.percent * short_decay + step;
    recent_.seconds = recent_.seconds * recent_decay + seconds;
    recent_.percent = recent_.percent * recent_decay + step;
    typical_step_ = typical_step_ == 0 ? step : 0.8 * typical_step_ + 0.2 * step;
    moved_t_ = elapsed;
    moved_p_ = overall_percent;
    progressed_ += step;

    // Everything below runs only when a whole percent is crossed (at most 101
    // times per run of progress), so the logs and exps it needs stay off the
    // per-report path.
    const int first = std::max(static_cast<int>(std::floor(previous_p)) + 1, 0);
    const int last = std::min(static_cast<int>(std::floor(overall_percent)), 100);
    if (first <= last) {
      score_filed();
      // File the candidates at every whole percent this report reached, for
      // scoring once the work after it has been done. A slot already filed (the
      // job was there before) keeps its first, older forecast.
      if (const auto now = candidates(elapsed)) {
        for (int k = first; k <= last; ++k) {
          if (!filed_[k].valid)
            filed_[k] = Filed{true, elapsed, overall_percent, *now};
        }
      }
    }
  }
  settle(arrival, elapsed);
}

void StagedPaceEstimator::score_filed() {
  // Judge the forecast filed `horizon` percent ago on the work done since: as
  // far back as there is work left (that is the horizon the ETA must cover),
  // but within the later half of the history, so early, noisy forecasts do not
  // decide the weights on their own. The score covers the progress since the
  // last whole-percent crossing, whether or not a forecast could be judged.
  const double step = take_scored_step();
  const int k = judged_slot(kHorizonShare, 100.0);
  if (k < 0)
    return;
  const Filed& then = filed_[k];
  if (!then.valid || moved_p_ <= then.percent || moved_t_ <= then.elapsed)
    return;
  const double actual = std::log((moved_t_ - then.elapsed) / (moved_p_ - then.percent));
  // Weighted by the progress since the last scoring, like the windows, so
  // report granularity does not change how fast old scores fade.
  const double decay = std::exp(-step / kErrorMemoryPercent);
  for (std::size_t i = 0; i < kCandidates; ++i) {
    const double error = actual - then.log_pace[i];
    squared_error_[i] = squared_error_[i] * decay + step * error * error;
  }
  error_weight_ = error_weight_ * decay + step;
}

std::optional<StagedPaceEstimator::LogPaces> StagedPaceEstimator::candidates(
    double now_elapsed) const {
  if (short_.seconds <= 0 || recent_.seconds <= 0 || progressed_ <= kMinProgressPercent) {
    return std::nullopt;
  }
  // The silence since the last progress is evidence of a slowdown only beyond
  // what a typical step takes, so assume the next report brings a typical step.
  const double silent = std::max(now_elapsed - moved_t_, 0.0);
  const auto window_pace = [&](const Window& w) {
    return std::max(w.seconds / w.percent, (w.seconds + silent) / (w.percent + typical_step_));
  };
  LogPaces out;
  out[0] = std::log(window_pace(short_));
  out[1] = std::log(window_pace(recent_));
  // The stage pace treats the silence like the windows do; counting it in full
  // against the progress so far would raise the ETA on every heartbeat in the
  // middle of an ordinary step. Until the stage has made progress, its pace is
  // unknown; the short window (mostly the new stage already) stands in.
  const double stage_percent = moved_p_ - stage_p_;
  const double stage_pace =
      stage_percent > 0 ? std::max((moved_t_ - stage_t_) / stage_percent,
                                   (now_elapsed - stage_t_) / (stage_percent + typical_step_))
                        : 0.0;
  out[2] = stage_pace > 0 ? std::log(stage_pace) : out[0];
  return out;
}

std::optional<double> StagedPaceEstimator::median_remaining(double now_elapsed) const {
  const auto log_pace = candidates(now_elapsed);
  if (!log_pace)
    return std::nullopt;
  // Shrink each candidate's mean squared log error towards the prior, then
  // weight by how much worse than the best one it has been. Sharp weights beat
  // an even mix: the candidates usually disagree because the job has changed,
  // and then the one that noticed is right.
  LogPaces mse;
  for (std::size_t i = 0; i < kCandidates; ++i) {
    mse[i] = (squared_error_[i] + kPriorWeightPercent * kPriorSquaredError) /
             (error_weight_ + kPriorWeightPercent);
  }
  const double best = *std::min_element(mse.begin(), mse.end());
  double weight_sum = 0;
  double log_sum = 0;
  for (std::size_t i = 0; i < kCandidates; ++i) {
    const double weight = std::exp(-(mse[i] - best) / kSelectivity);
    weight_sum += weight;
    log_sum += weight * (*log_pace)[i];
  }
  // Geometric, not arithmetic: paces differ by factors, and a factor-2 error
  // either way should pull equally. Counting from the last progress report
  // makes the ETA tick down between reports instead of standing still.
  const double pace = std::exp(log_sum / weight_sum);
  return std::max(moved_t_ + (100.0 - moved_p_) * pace - now_elapsed, 0.0);
}

std::optional<double> StagedPaceEstimator::estimate(double now_elapsed) const {
  const auto remaining = median_remaining(now_elapsed);
  if (!remaining)
    return std::nullopt;
  // The median forecast times exp(-sigma^2) minimises the expected relative
  // error; sigma^2 grows with progress (see kLogVarianceAtEnd).
  return std::exp(-log_variance()) * *remaining;
}

double StagedPaceEstimator::log_variance() const {
  const double done = std::clamp(moved_p_ / 100.0, 0.0, 1.0);
  return kLogVarianceAtStart + (kLogVarianceAtEnd - kLogVarianceAtStart) * done;
}

std::optional<double> StagedPaceEstimator::display_percent(double now_elapsed) const {
  // The percent error is symmetric, so the display uses the median forecast.
  const auto remaining = median_remaining(now_elapsed);
  if (!remaining)
    return std::nullopt;
  const double total = now_elapsed + *remaining;
  return total > 0 ? 100.0 * now_elapsed / total : 0.0;
}

}  // namespace headway::eta
