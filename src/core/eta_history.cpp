#include <algorithm>
#include <cmath>

#include "headway/eta.hpp"
#include "headway/stage_plan.hpp"

namespace headway {

EtaHistory EtaHistory::from_runs(const std::vector<std::vector<std::pair<double, double>>>& runs) {
  // Per run, the time it first reached each whole percent and its duration
  // (the first report at 100 %).
  std::vector<std::array<double, 101>> reached;
  std::vector<double> durations;
  for (const auto& run : runs) {
    std::array<double, 101> first{};
    first.fill(-1);
    double end = -1;
    bool started = false;
    double before_t = 0;
    double before_p = 0;
    for (const auto& [elapsed, percent] : run) {
      const int top = std::clamp(static_cast<int>(std::floor(percent)), 0, 100);
      // A percent passed between two reports was reached in between, as if
      // the progress had grown evenly from one to the other: a run that
      // reports rarely is then described at every percent as a run that
      // reports often would be, and a new run can be compared with it at any
      // progress.
      for (int k = top; k >= 0 && first[k] < 0; --k) {
        const bool between = started && percent > before_p && k > before_p;
        first[k] = between ? before_t + (elapsed - before_t) * (k - before_p) / (percent - before_p)
                           : elapsed;
      }
      started = true;
      before_t = elapsed;
      before_p = percent;
      if (percent >= 100) {
        end = elapsed;
        break;
      }
    }
    if (end <= 0)
      continue;
    reached.push_back(first);
    durations.push_back(end);
  }
  EtaHistory out;
  out.runs = static_cast<int>(reached.size());
  if (out.runs == 0)
    return out;
  double variance_sum = 0;
  for (int k = 1; k <= 99; ++k) {
    double elapsed_sum = 0;
    double remaining_sum = 0;
    double remaining_squares = 0;
    for (std::size_t r = 0; r < reached.size(); ++r) {
      // A run that jumped past k (an early finish) reached it at its end; a
      // floor of 1 ms of the run keeps the logs finite.
      const double floor = 1e-3 * durations[r];
      const double elapsed = std::max(reached[r][k], floor);
      const double remaining = std::max(durations[r] - reached[r][k], floor);
      elapsed_sum += std::log(elapsed);
      remaining_sum += std::log(remaining);
      remaining_squares += std::log(remaining) * std::log(remaining);
    }
    const double n = static_cast<double>(out.runs);
    out.log_elapsed[k] = elapsed_sum / n;
    out.log_remaining[k] = remaining_sum / n;
    variance_sum +=
        std::max(remaining_squares / n - out.log_remaining[k] * out.log_remaining[k], 0.0);
  }
  out.log_remaining_variance = variance_sum / 99;
  double duration_sum = 0;
  for (const double duration : durations)
    duration_sum += std::log(duration);
  out.log_elapsed[100] = duration_sum / static_cast<double>(out.runs);
  return out;
}

EtaHistory EtaHistory::from_stage_durations(const StagePlan& plan,
                                            const std::vector<std::vector<StageDuration>>& runs) {
  std::vector<std::vector<std::pair<double, double>>> reports;
  for (const auto& run : runs) {
    std::vector<std::pair<double, double>> points;
    double elapsed = 0;
    bool usable = true;
    for (const auto& stage : run) {
      const auto index = plan.index_of(stage.stage);
      if (!index || !std::isfinite(stage.seconds) || stage.seconds < 0) {
        usable = false;
        break;
      }
      const double start = plan[*index].start;
      const double end = plan[*index].end;
      points.emplace_back(elapsed, start);
      // One report per whole percent inside the stage, at the time an even
      // pace through the stage reaches it.
      for (double k = std::floor(start) + 1; k < end; ++k)
        points.emplace_back(elapsed + stage.seconds * (k - start) / (end - start), k);
      elapsed += stage.seconds;
      points.emplace_back(elapsed, end);
    }
    if (usable)
      reports.push_back(std::move(points));
  }
  return from_runs(reports);
}

}  // namespace headway
