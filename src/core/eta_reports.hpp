#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

namespace headway::eta {

// Where a job's progress reports have got to, as the pace estimators (staged,
// hedge) keep track of it: the first report, restarts from a checkpoint
// (progress going down) and stage changes. An estimator derives from it,
// calls arrive() first and settle() last in its observe(), and reacts to what
// arrive() reports in between. Not thread-safe.
class ReportBookkeeping {
 protected:
  struct Arrival {
    bool first = false;          // the job's first report
    bool restarted = false;      // progress fell: resumed from a checkpoint
    bool stage_changed = false;  // a later report under another stage name
    bool new_stage = false;      // first or stage_changed: a stage begins here
  };

  // Classifies a report and moves the markers for the first report and for a
  // restart: the work from a checkpoint on is the work just done again, so
  // what is measured from a point in time (the stage, the scoring) starts
  // again from this report, and the estimator's paces carry on.
  Arrival arrive(double elapsed, double percent, std::string_view stage) {
    Arrival arrival;
    arrival.new_stage = !started_ || stage != stage_;
    if (!started_) {
      // The job started at elapsed 0 even if its first report came later, so
      // the scoring origin stays at 0 %.
      arrival.first = true;
      started_ = true;
      moved_t_ = elapsed;
      moved_p_ = percent;
      scored_p_ = percent;
    } else if (percent < moved_p_) {
      arrival.restarted = true;
      origin_p_ = percent;
      stage_t_ = elapsed;
      stage_p_ = percent;
      moved_t_ = elapsed;
      moved_p_ = percent;
      scored_p_ = percent;
    }
    if (stage != stage_) {
      arrival.stage_changed = !arrival.first;
      stage_.assign(stage);
    }
    return arrival;
  }

  // A stage that began with this report starts at the progress reached.
  void settle(const Arrival& arrival, double elapsed) {
    if (arrival.new_stage) {
      stage_t_ = elapsed;
      stage_p_ = moved_p_;
    }
  }

  // Progress since the last scoring, which is now.
  double take_scored_step() {
    const double step = moved_p_ - scored_p_;
    scored_p_ = moved_p_;
    return step;
  }

  // The whole percent whose filed forecast is judged now: filed `horizon`
  // percent ago, horizon = min(percent left, share * percent since the origin,
  // max_percent), so as far back as there is work left to forecast but within
  // the later part of the history; -1 when there is none.
  int judged_slot(double share, double max_percent) const {
    const double horizon =
        std::min({100.0 - moved_p_, share * (moved_p_ - origin_p_), max_percent});
    if (horizon <= 0)
      return -1;
    const int k = static_cast<int>(std::floor(moved_p_ - horizon));
    return k < 0 || k > 100 ? -1 : k;
  }

  bool started_ = false;
  std::string stage_;
  // Progress at the start or the last restart (scoring looks no further back),
  // and where and when the current stage began.
  double origin_p_ = 0;
  double stage_t_ = 0;
  double stage_p_ = 0;
  // Last report that advanced progress.
  double moved_t_ = 0;
  double moved_p_ = 0;
  // Progress at the last scoring.
  double scored_p_ = 0;
};

}  // namespace headway::eta
