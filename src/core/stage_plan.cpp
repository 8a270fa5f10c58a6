#include "headway/stage_plan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

namespace headway {

StagePlan StagePlan::reference() {
  return from_weights({{"loading", 5},
                       {"clustering", 10},
                       {"cpsat_solving", 60},
                       {"ga_optimization", 15},
                       {"rl_refinement", 10}});
}

StagePlan StagePlan::from_weights(const std::vector<std::pair<std::string, double>>& weights) {
  if (weights.empty()) {
    throw std::invalid_argument("stage plan: at least one stage is required");
  }
  std::unordered_set<std::string> seen;
  std::vector<Stage> stages;
  double start = 0;
  for (const auto& [name, weight] : weights) {
    if (name.empty()) {
      throw std::invalid_argument("stage plan: stage names must not be empty");
    }
    if (!seen.insert(name).second) {
      throw std::invalid_argument("stage plan: stage name '" + name + "' appears twice");
    }
    if (!(weight > 0) || !std::isfinite(weight)) {
      throw std::invalid_argument("stage plan: stage '" + name + "' needs a positive weight, got " +
                                  std::to_string(weight));
    }
    stages.push_back({name, start, start + weight});
    start += weight;
  }
  if (std::abs(start - 100.0) > 1e-6) {
    throw std::invalid_argument("stage plan: weights must sum to 100, they sum to " +
                                std::to_string(start));
  }
  stages.back().end = 100.0;
  return StagePlan(std::move(stages));
}

std::optional<std::size_t> StagePlan::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i].name == name)
      return i;
  }
  return std::nullopt;
}

double StagePlan::overall_percent(std::size_t index, double fraction) const {
  const Stage& stage = stages_.at(index);
  if (!(fraction > 0))
    fraction = 0;  // also maps NaN to 0
  fraction = std::min(fraction, 1.0);
  return stage.start + (stage.end - stage.start) * fraction;
}

}  // namespace headway
