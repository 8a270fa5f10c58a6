#include <headway/eta.hpp>
#include <headway/tracker.hpp>
#include <headway/version.hpp>
#include <iostream>

int main() {
  const auto plan = headway::StagePlan::from_weights({{"fetch", 40}, {"build", 60}});
  std::cout << "headway " << headway::version() << ", " << plan.size() << " stages, "
            << headway::eta_estimator_names().size() << " estimators\n";
  // Constructing a Tracker validates its arguments without waiting for Redis.
  try {
    headway::Tracker tracker(headway::RedisConfig::from_url("redis://127.0.0.1:1"), "not-a-uuid");
    return 1;
  } catch (const std::invalid_argument&) {
  }
  return plan.overall_percent(1, 0.5) == 70 ? 0 : 1;
}
