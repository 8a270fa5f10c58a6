#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headway/export.hpp"

namespace headway {

// One stage of a job and the slice of overall progress it covers, in percent.
struct Stage {
  std::string name;
  double start = 0;
  double end = 0;
};

// The ordered stages of a job type, each worth a share of the overall 0-100 %.
// Immutable once built, so it is safe to share between threads.
class HEADWAY_API StagePlan {
 public:
  // The reference timetable workload: loading 0-5, clustering 5-15,
  // cpsat_solving 15-75, ga_optimization 75-90, rl_refinement 90-100.
  static StagePlan reference();

  // Builds a plan from (name, weight) pairs in order. Throws
  // std::invalid_argument naming the problem unless the names are non-empty and
  // unique and the weights are positive and sum to 100 (within 1e-6).
  static StagePlan from_weights(const std::vector<std::pair<std::string, double>>& weights);

  const std::vector<Stage>& stages() const { return stages_; }
  std::size_t size() const { return stages_.size(); }
  const Stage& operator[](std::size_t index) const { return stages_[index]; }
  std::optional<std::size_t> index_of(std::string_view name) const;

  // Overall percent for `fraction` (clamped to [0,1]) of stage `index`.
  double overall_percent(std::size_t index, double fraction) const;

 private:
  explicit StagePlan(std::vector<Stage> stages) : stages_(std::move(stages)) {}
  std::vector<Stage> stages_;
};

}  // namespace headway
