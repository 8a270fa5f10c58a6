#include "headway/tracker.hpp"

#include <stdexcept>

#include "core/uuid.hpp"
#include "redis/redis_sink.hpp"
#include "tracker/memory_sink_access.hpp"
#include "tracker/tracker_impl.hpp"

namespace headway {
namespace {

void require_uuid(const std::string& job_id) {
  if (!is_uuid(job_id)) {
    throw std::invalid_argument("Tracker: job id '" + job_id +
                                "' is not a UUID (8-4-4-4-12 hexadecimal digits)");
  }
}

}  // namespace

Tracker::Tracker(const RedisConfig& redis, std::string job_id, StagePlan plan,
                 TrackerOptions options) {
  require_uuid(job_id);
  auto sink = redis::make_redis_sink(redis, options.ttl.count(), options.events_max_len);
  impl_ = std::make_unique<detail::TrackerImpl>(std::move(sink), std::move(job_id), std::move(plan),
                                                std::move(options));
}

Tracker::Tracker(MemorySink& sink, std::string job_id, StagePlan plan, TrackerOptions options) {
  require_uuid(job_id);
  impl_ =
      std::make_unique<detail::TrackerImpl>(detail::MemorySinkAccess::record_sink(sink),
                                            std::move(job_id), std::move(plan), std::move(options));
}

Tracker::~Tracker() = default;

Result Tracker::start_stage(std::string_view name) {
  return impl_->start_stage(name);
}
Result Tracker::update_stage_progress(std::int64_t completed, std::int64_t total) {
  return impl_->update_stage_progress(completed, total);
}
Result Tracker::complete_stage() {
  return impl_->complete_stage();
}
Result Tracker::update(const ProgressUpdate& update) {
  return impl_->update(update);
}
Result Tracker::mark_completed() {
  return impl_->finish(JobStatus::completed, {});
}
Result Tracker::mark_failed(std::string_view message) {
  return impl_->finish(JobStatus::failed, message);
}
Result Tracker::mark_cancelled() {
  return impl_->finish(JobStatus::cancelled, {});
}
bool Tracker::cancel_requested() const noexcept {
  return impl_->cancel_requested();
}
Result Tracker::flush(std::chrono::milliseconds timeout) {
  return impl_->flush(timeout);
}
const std::string& Tracker::job_id() const {
  return impl_->job_id();
}
TrackerStats Tracker::stats() const {
  return impl_->stats();
}

}  // namespace headway
