#include <headway/eta.hpp>
#include <headway/memory_sink.hpp>
#include <headway/tracker.hpp>
#include <headway/version.hpp>
#include <iostream>
#include <memory>

namespace {

// An outside program's own clock: subclassing needs Clock's vtable and
// typeinfo from the library.
class FixedClock final : public headway::Clock {
 public:
  double now() const override { return 1'700'000'000.0; }
};

}  // namespace

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
  // A unit test of code that reports progress, with no Redis.
  headway::MemorySink sink;
  {
    headway::TrackerOptions options;
    options.clock = std::make_shared<FixedClock>();
    headway::Tracker tracker(sink, "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77", plan, options);
    if (!tracker.start_stage("fetch") || !tracker.mark_completed())
      return 1;
  }
  const auto records = sink.records();
  if (records.empty() || records.back().status != "completed" || sink.attempts() < 2)
    return 1;
  return plan.overall_percent(1, 0.5) == 70 ? 0 : 1;
}
