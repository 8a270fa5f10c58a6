#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "headway/export.hpp"

namespace headway {

class StagePlan;

// An interval for the seconds remaining: the true remaining time is meant to
// fall inside it with the stated probability (80 % for the built-in
// estimators, calibrated in docs/eta.md). low <= high, both >= 0.
struct EtaRange {
  double low = 0;
  double high = 0;
};

// How long one stage of an earlier run took, in seconds.
struct StageDuration {
  std::string stage;
  double seconds = 0;
};

// What earlier runs of the same job took, as a prior for a new run: for each
// whole percent k (1-99), the mean over the runs of log(seconds elapsed when a
// run first reached k) and of log(seconds it then still took), and the
// variance of the latter across runs (averaged over k); log_elapsed[100] is
// the mean log duration.
struct HEADWAY_API EtaHistory {
  int runs = 0;
  std::array<double, 101> log_elapsed{};
  std::array<double, 101> log_remaining{};
  double log_remaining_variance = 0;

  // From each earlier run's reports, (elapsed seconds, overall percent) in
  // order; a run that never reaches 100 % is skipped. A percent passed between
  // two reports counts as reached in between, progress growing evenly.
  static EtaHistory from_runs(const std::vector<std::vector<std::pair<double, double>>>& runs);

  // From each earlier run's stage durations, in the order the stages ran, and
  // the plan the runs followed: each stage covers its slice of the plan, its
  // progress growing evenly with time. A run that names a stage the plan does
  // not have, has a negative or non-finite duration, or never reaches the end
  // of the plan is skipped.
  static EtaHistory from_stage_durations(const StagePlan& plan,
                                         const std::vector<std::vector<StageDuration>>& runs);
};

// Predicts the seconds remaining in a job from the progress reports seen so far.
//
// Contract: the prediction may depend only on reports already observed and on
// the estimator's fixed settings (no look-ahead, no clock reads, no randomness),
// so replaying a trace is deterministic. observe() is on the Tracker's hot path
// and must be O(1) amortized; estimate() runs at flush time (a few times a second).
// Not thread-safe: the owner serializes calls.
class HEADWAY_API EtaEstimator {
 public:
  virtual ~EtaEstimator() = default;

  // One progress report: `elapsed` seconds since the job started (non-decreasing),
  // `overall_percent` in [0,100] (may repeat, may go down after a restart), and
  // the name of the running stage.
  virtual void observe(double elapsed, double overall_percent, std::string_view stage) = 0;

  // Seconds remaining as seen at time `now_elapsed` (>= the last observed
  // elapsed; time since the last report counts), or nullopt when there is no
  // honest estimate yet.
  virtual std::optional<double> estimate(double now_elapsed) const = 0;

  // The percent to show a person at time `now_elapsed`, when the estimator has
  // a better one than the reported progress: a time-calibrated percent that
  // moves roughly linearly with wall time even when stages run at different
  // speeds. nullopt means "show the reported progress". Same causality rules as
  // estimate(); the value is in [0,100] but is not guaranteed to be monotone.
  virtual std::optional<double> display_percent(double /*now_elapsed*/) const {
    return std::nullopt;
  }

  // Gives the estimator what earlier runs of this job took; called before the
  // first observe(). Estimators without a use for it ignore it.
  virtual void set_history(const EtaHistory& /*history*/) {}

  // An 80 % interval for the seconds remaining at `now_elapsed`, or nullopt
  // when the estimator has none (yet). Same causality rules as estimate().
  virtual std::optional<EtaRange> range(double /*now_elapsed*/) const { return std::nullopt; }

  // The registered name of this estimator.
  virtual std::string_view name() const = 0;
};

// Names accepted by make_eta_estimator(); the first is the default.
HEADWAY_API std::vector<std::string> eta_estimator_names();

// Creates the named estimator, or nullptr for an unknown name. `plan` (may be
// null) tells plan-aware estimators the weight of each stage.
HEADWAY_API std::unique_ptr<EtaEstimator> make_eta_estimator(std::string_view name,
                                                             const StagePlan* plan = nullptr);

// The default estimator used by the Tracker.
HEADWAY_API std::unique_ptr<EtaEstimator> make_default_eta_estimator(
    const StagePlan* plan = nullptr);

}  // namespace headway
