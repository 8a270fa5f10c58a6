#include "jobs/job_queue.hpp"

#include <boost/json.hpp>

#include "core/uuid.hpp"
#include "jobs/queue_stream.hpp"
#include "jobs/table_sync.hpp"
#include "redis/keys.hpp"

namespace headway::worker {
namespace json = boost::json;

namespace {

ProgressRecord queued_record(const store::Job& row, const ValidatedJob& job) {
  ProgressRecord record;
  record.job_id = row.id;
  record.status = JobStatus::queued;
  record.started_at = row.created_at;
  record.last_updated = row.created_at;
  record.seq = 1;
  record.attempt = 1;
  if (job.plan)
    record.stages = job.plan->stages();
  return record;
}

}  // namespace

const char* to_string(CancelOutcome outcome) {
  switch (outcome) {
    case CancelOutcome::cancelled:
      return "cancelled";
    case CancelOutcome::cancel_requested:
      return "cancel_requested";
    case CancelOutcome::already_cancelled:
      return "already_cancelled";
  }
  return "cancelled";
}

JobResult<store::Job> enqueue_job(redis::Connection& redis, store::JobStore& store,
                                  const JobCatalog& catalog, const NewJob& job,
                                  const RecordOptions& options) {
  auto validated = catalog.validate_json(job.type, job.params_json);
  if (!validated)
    return validated.error();
  if (job.owner.empty())
    return invalid_input("owner", "owner: must not be empty");
  if (!job.id.empty() && !is_uuid(job.id))
    return invalid_input("id", "id: must be a UUID");

  store::Job row;
  row.id = job.id.empty() ? make_uuid() : job.id;
  row.owner = job.owner;
  row.type = validated->type;
  row.params = json::serialize(validated->params);
  row.status = JobStatus::queued;
  // The queued record below has seq 1; the row starts there so that folding
  // it from progress:events is a no-op.
  row.last_seq = 1;
  auto created = store.create_job(row);
  if (!created)
    return store_error("create the job", created.error());

  auto written = write_record(redis, queued_record(*created, *validated), options);
  JobResult<void> queued;
  if (!written)
    queued = written.error();
  else if (validated->queued)
    queued = add_queue_entry(redis, created->id, created->type);
  if (!queued) {
    const std::string reason = "could not be queued: " + queued.error().message;
    (void)store.set_status({.job_id = created->id,
                            .status = JobStatus::failed,
                            .error = reason,
                            .only_if_status_in = {JobStatus::queued}});
    return queued.error();
  }
  return std::move(*created);
}

JobResult<CancelOutcome> cancel_job(redis::Connection& redis, store::JobStore& store,
                                    std::string_view job_id, const RecordOptions& options) {
  if (!is_uuid(job_id))
    return invalid_input("id", "id: must be a UUID");
  auto row = store.get_job(job_id);
  if (!row)
    return store_error("find the job", row.error());
  if (row->status == JobStatus::cancelled)
    return CancelOutcome::already_cancelled;
  if (is_terminal(row->status)) {
    return JobError{JobError::Code::conflict,
                    {},
                    "job " + row->id + " already " + std::string(to_string(row->status))};
  }
  // The flag comes first: a worker claiming the job from here on sees it.
  auto flagged = redis.command(
      {"SET", redis::keys::cancel(row->id), "1", "EX", std::to_string(options.ttl.count())});
  if (!flagged.ok() || flagged.is_error_reply())
    return redis_error("set the cancel flag", flagged);
  if (row->status != JobStatus::queued)
    return CancelOutcome::cancel_requested;

  // Queued: whichever of this call and a worker's claim changes the row first
  // wins (both are conditional on its status). The row takes the seq of the
  // record written next, so that older records still on progress:events
  // cannot bring it back to `queued`.
  auto stored = read_record(redis, row->id);
  if (!stored)
    return stored.error();
  const std::int64_t next_seq =
      std::max(row->last_seq, stored->has_value() ? (*stored)->seq : 0) + 1;
  auto changed = store.set_status({.job_id = row->id,
                                   .status = JobStatus::cancelled,
                                   .only_if_status_in = {JobStatus::queued},
                                   .seq = next_seq});
  if (!changed)
    return store_error("cancel the job", changed.error());
  if (!*changed) {
    // A worker claimed it a moment ago (its Tracker sees the flag) or it ended.
    auto now = store.get_job(job_id);
    if (!now)
      return store_error("find the job", now.error());
    if (now->status == JobStatus::cancelled)
      return CancelOutcome::already_cancelled;
    if (is_terminal(now->status)) {
      return JobError{JobError::Code::conflict,
                      {},
                      "job " + now->id + " already " + std::string(to_string(now->status))};
    }
    return CancelOutcome::cancel_requested;
  }
  ProgressRecord fallback;
  fallback.job_id = row->id;
  fallback.status = JobStatus::queued;
  fallback.started_at = row->created_at;
  fallback.seq = next_seq - 1;
  fallback.last_updated = system_clock()->now();
  auto written = write_final_record(redis, fallback, JobStatus::cancelled, {}, options);
  if (!written)
    return written.error();
  return CancelOutcome::cancelled;
}

JobQueue::JobQueue(redis::Endpoint redis, store::JobStore& store, JobCatalog catalog,
                   RecordOptions options, redis::Connection::Timeouts timeouts)
    : endpoint_(std::move(redis)),
      store_(store),
      catalog_(std::move(catalog)),
      options_(options),
      timeouts_(timeouts) {}

template <typename Call>
auto JobQueue::with_connection(Call&& call) -> decltype(call(std::declval<redis::Connection&>())) {
  std::lock_guard lock(mutex_);
  if (!connection_) {
    std::string error;
    connection_ = redis::Connection::open(endpoint_, timeouts_, error);
    if (!connection_)
      return JobError{JobError::Code::unavailable, {}, error};
  }
  return call(*connection_);
}

JobResult<store::Job> JobQueue::enqueue(const NewJob& job) {
  return with_connection([&](redis::Connection& redis) {
    return enqueue_job(redis, store_, catalog_, job, options_);
  });
}

JobResult<CancelOutcome> JobQueue::cancel(std::string_view job_id) {
  return with_connection(
      [&](redis::Connection& redis) { return cancel_job(redis, store_, job_id, options_); });
}

JobResult<void> JobQueue::ping() {
  return with_connection([](redis::Connection& redis) -> JobResult<void> {
    auto pong = redis.command({"PING"});
    if (!pong.ok() || pong.is_error_reply())
      return redis_error("PING", pong);
    return {};
  });
}

}  // namespace headway::worker
