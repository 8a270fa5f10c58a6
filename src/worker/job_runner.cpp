#include "worker/job_runner.hpp"

#include <spdlog/spdlog.h>

#include "core/progress_record.hpp"
#include "headway/tracker.hpp"
#include "jobs/lease.hpp"
#include "jobs/queue_keys.hpp"
#include "jobs/record_writer.hpp"
#include "jobs/table_sync.hpp"
#include "redis/keys.hpp"
#include "worker/eta_prior.hpp"
#include "worker/jobs/command_job.hpp"
#include "worker/jobs/timetable_job.hpp"

namespace headway::worker {

namespace {

// The records a Tracker wrote, as the flusher thread reports them: the first,
// the last, and the stage boundaries (each stage's first record and its
// first at 100 %), which say when each stage started and ended.
class WrittenRecords {
 public:
  void add(std::string_view json) {
    auto record = parse_progress_record(json);
    std::lock_guard lock(mutex_);
    if (first_.empty())
      first_ = json;
    last_ = json;
    if (!record || record->stage.empty())
      return;
    const bool complete = record->stage_progress >= 100;
    if (record->stage != boundary_stage_ || complete != boundary_complete_) {
      boundaries_.emplace_back(json);
      boundary_stage_ = record->stage;
      boundary_complete_ = complete;
    }
  }
  std::vector<std::string> boundaries() const {
    std::lock_guard lock(mutex_);
    return boundaries_;
  }
  std::string first() const {
    std::lock_guard lock(mutex_);
    return first_;
  }
  std::string last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  mutable std::mutex mutex_;
  std::string first_;
  std::string last_;
  std::vector<std::string> boundaries_;
  std::string boundary_stage_;
  bool boundary_complete_ = false;
};

class EntryRun {
 public:
  EntryRun(const RunnerEnvironment& environment, const QueueEntry& entry, const StopSignal& stop,
           LeaseFlag& lease)
      : env_(environment), entry_(entry), stop_(stop), lease_(lease) {}

  void run() {
    std::string error;
    auto endpoint = redis::parse_redis_url(env_.options.redis_url, error);
    if (endpoint) {
      endpoint_ = *endpoint;
      redis_ = redis::Connection::open(endpoint_, {}, error);
    }
    if (!redis_) {
      spdlog::warn("job {}: cannot reach Redis ({}); the entry stays pending", entry_.job_id,
                   error);
      return;
    }
    if (!is_uuid(entry_.job_id)) {
      spdlog::warn("queue entry {} names no job; dropping it", entry_.entry_id);
      finish_entry_logged();
      return;
    }
    auto lease = acquire_lease(redis(), entry_.job_id, env_.consumer, env_.options.lease_ttl());
    if (!lease) {
      spdlog::warn("job {}: {}", entry_.job_id, lease.error().message);
      return;
    }
    if (*lease == LeaseState::held_by_other) {
      // Its worker is alive (only its heartbeat was late); it keeps the job.
      spdlog::info("job {}: another worker holds its lease; leaving it", entry_.job_id);
      return;
    }
    lease_.set(true);
    run_leased();
    lease_.set(false);
    if (!lease_lost()) {
      if (auto released = release_lease(redis(), entry_.job_id, env_.consumer); !released)
        spdlog::warn("job {}: {}", entry_.job_id, released.error().message);
    }
  }

 private:
  bool lease_lost() const { return stop_.requested() && stop_.reason() == kLeaseLostReason; }

  // The run's connection, opened again if it broke (Redis restarted while
  // the job ran): the steps after a run must not fail for an old socket.
  redis::Connection& redis() {
    if (redis_->broken()) {
      std::string error;
      if (auto fresh = redis::Connection::open(endpoint_, {}, error))
        redis_ = std::move(fresh);
    }
    return *redis_;
  }

  void finish_entry_logged() {
    if (auto done = finish_entry(redis(), entry_.entry_id); !done)
      spdlog::warn("job {}: {}", entry_.job_id, done.error().message);
  }

  void apply_to_table(const std::string& record_json) {
    if (record_json.empty())
      return;
    auto record = parse_progress_record(record_json);
    if (!record || record->job_id != entry_.job_id)
      return;
    if (auto applied = env_.store.apply_record(to_store_update(*record)); !applied)
      spdlog::warn("job {}: cannot update the job table: {}", entry_.job_id,
                   applied.error().message);
  }

  // Ends a job without running it: the record and the row become `status`.
  void finish_without_running(const store::Job& row, JobStatus status, const std::string& error) {
    ProgressRecord fallback;
    fallback.job_id = row.id;
    fallback.status = row.status;
    fallback.seq = row.last_seq;
    fallback.started_at = row.started_at.value_or(row.created_at);
    fallback.last_updated = system_clock()->now();
    fallback.attempt = std::max<std::int64_t>(1, row.attempts);
    auto seq = write_final_record(redis(), fallback, status, error, env_.options.records);
    if (!seq) {
      spdlog::warn("job {}: {}; the entry stays pending", row.id, seq.error().message);
      return;
    }
    auto changed = env_.store.set_status(
        {.job_id = row.id,
         .status = status,
         .error = error,
         .only_if_status_in = {JobStatus::queued, JobStatus::initializing, JobStatus::running},
         .seq = *seq});
    if (!changed) {
      spdlog::warn("job {}: cannot update the job table: {}; the entry stays pending", row.id,
                   changed.error().message);
      return;
    }
    spdlog::info("job {}: {} without running{}{}", row.id, to_string(status),
                 error.empty() ? "" : ": ", error);
    finish_entry_logged();
  }

  // Steps 2-4 of docs/worker.md: true when the entry needs no run (it was
  // acknowledged, or left pending after an error).
  bool settled_without_running(const store::Job& row) {
    if (is_terminal(row.status)) {
      finish_entry_logged();  // cancelled while queued, or finished before an ack was lost
      return true;
    }
    // A previous run may have written its terminal record and died before
    // the table or the queue heard of it: the record is the truth then.
    auto stored = read_record(redis(), row.id);
    if (!stored) {
      spdlog::warn("job {}: {}; the entry stays pending", row.id, stored.error().message);
      return true;
    }
    if (stored->has_value() && is_terminal((*stored)->status)) {
      apply_to_table(to_json(**stored));
      finish_entry_logged();
      return true;
    }
    auto cancel = redis().command({"EXISTS", redis::keys::cancel(row.id)});
    if (!cancel.ok() || cancel.is_error_reply()) {
      spdlog::warn("job {}: {}", row.id, redis_error("check for a cancel", cancel).message);
      return true;
    }
    if (cancel.reply->integer == 1) {
      finish_without_running(row, JobStatus::cancelled, {});
      return true;
    }
    return false;
  }

  void run_leased() {
    auto row = env_.store.get_job(entry_.job_id);
    if (!row) {
      if (row.error().code == store::ErrorCode::not_found) {
        spdlog::warn("job {}: not in the job table; dropping its queue entry", entry_.job_id);
        finish_entry_logged();
      } else {
        spdlog::warn("job {}: cannot read the job table ({}); the entry stays pending",
                     entry_.job_id, row.error().message);
      }
      return;
    }
    if (settled_without_running(*row))
      return;
    auto attempt = count_attempt(*row);
    if (!attempt) {
      spdlog::warn("job {}: {}", row->id, attempt.error().message);
      return;
    }
    lease_.set_attempt(*attempt);
    if (*attempt > env_.options.max_attempts) {
      finish_without_running(*row, JobStatus::failed,
                             "worker lost: attempt " + std::to_string(*attempt - 1) +
                                 " ended without a result (its worker stopped) and max attempts (" +
                                 std::to_string(env_.options.max_attempts) + ") is reached");
      return;
    }
    // Conditional on the status, like cancel_job's change to `cancelled`:
    // whichever comes first wins, so a job cancelled while queued never runs.
    auto claimed = env_.store.set_status(
        {.job_id = row->id,
         .status = JobStatus::initializing,
         .only_if_status_in = {JobStatus::queued, JobStatus::initializing, JobStatus::running}});
    if (!claimed) {
      spdlog::warn("job {}: cannot claim it in the job table ({}); the entry stays pending",
                   row->id, claimed.error().message);
      return;
    }
    if (!*claimed) {
      finish_entry_logged();  // cancelled (or finished) a moment ago
      return;
    }
    run_with_tracker(*row, *attempt);
  }

  // INCR jobs:attempt:<id>. The table remembers the attempts started too
  // (the first record of each run); when Redis lost the counter (it
  // restarted empty) the table's count wins, so max_attempts still holds.
  JobResult<std::int64_t> count_attempt(const store::Job& row) {
    const std::string key = keys::attempt(row.id);
    const std::string ttl = std::to_string(env_.options.records.ttl.count());
    auto counted = redis().command({"INCR", key});
    if (!counted.ok() || counted.is_error_reply())
      return redis_error("count the attempt", counted);
    std::int64_t attempt = counted.reply->integer;
    if (attempt <= row.attempts) {
      attempt = row.attempts + 1;
      auto set = redis().command({"SET", key, std::to_string(attempt), "EX", ttl});
      if (!set.ok() || set.is_error_reply())
        return redis_error("count the attempt", set);
    } else {
      (void)redis().command({"EXPIRE", key, ttl});
    }
    return attempt;
  }

  void run_with_tracker(const store::Job& row, std::int64_t attempt) {
    auto validated = env_.catalog.validate_json(row.type, row.params);
    if (validated && !validated->queued) {
      spdlog::warn("job {}: type {} is not run by workers; dropping its queue entry", row.id,
                   row.type);
      finish_entry_logged();
      return;
    }
    WrittenRecords records;
    TrackerOptions tracker_options;
    tracker_options.ttl = env_.options.records.ttl;
    tracker_options.events_max_len = env_.options.records.events_max_len;
    tracker_options.attempt = attempt;
    tracker_options.on_write = [&records](std::string_view json) { records.add(json); };
    tracker_options.on_warning = [](std::string_view message) { spdlog::warn("{}", message); };
    const StagePlan plan = validated && validated->plan ? *validated->plan : StagePlan::reference();
    if (validated)
      tracker_options.eta_history =
          eta_prior(env_.store, env_.catalog, row, validated->params, plan);
    std::optional<Tracker> tracker;
    try {
      tracker.emplace(RedisConfig::from_url(env_.options.redis_url), row.id, plan,
                      std::move(tracker_options));
    } catch (const std::exception& error) {
      spdlog::error("job {}: cannot start its tracker: {}", row.id, error.what());
      return;
    }
    spdlog::info("job {}: {} attempt {} started", row.id, row.type, attempt);
    // The record that starts the run (initializing, attempt, started_at) goes
    // into the table now; the recorder folds the stage boundaries after it.
    (void)tracker->flush(std::chrono::seconds(5));
    apply_to_table(records.first());

    JobOutcome outcome = JobOutcome::failed(validated ? "" : validated.error().message);
    if (validated) {
      JobContext context(*tracker, validated->params, attempt, stop_);
      try {
        outcome = row.type == "command" ? run_command_job(env_.catalog.config(), context)
                                        : run_timetable_job(context);
      } catch (const std::exception& error) {
        outcome = JobOutcome::failed(std::string("the job threw: ") + error.what());
      }
    }
    if (lease_lost()) {
      spdlog::error(
          "job {}: lost its lease (Redis unreachable for too long?); abandoning the "
          "run to whichever worker holds it now",
          row.id);
      return;
    }
    Result ended = finish_tracker(*tracker, outcome, row.id);
    if (!ended) {
      spdlog::warn("job {}: {}; the entry stays pending", row.id, ended.error());
      return;
    }
    apply_to_table(records.last());
    // The stage timings the next runs' ETA prior reads. The server's recorder
    // folds the same boundaries from progress:events, but the prior must not
    // depend on a server running; folded after the last record they are
    // stale and change only the timings, which folding keeps order-free.
    for (const auto& boundary : records.boundaries())
      apply_to_table(boundary);
    finish_entry_logged();
  }

  Result finish_tracker(Tracker& tracker, const JobOutcome& outcome, const std::string& id) {
    switch (outcome.kind) {
      case JobOutcome::Kind::completed:
        spdlog::info("job {}: completed", id);
        return tracker.mark_completed();
      case JobOutcome::Kind::failed:
        spdlog::info("job {}: failed: {}", id, outcome.error);
        return tracker.mark_failed(outcome.error);
      case JobOutcome::Kind::stopped:
        break;
    }
    // A user's cancel wins over the worker's own reason to stop.
    if (tracker.cancel_requested() || !stop_.requested()) {
      spdlog::info("job {}: cancelled", id);
      return tracker.mark_cancelled();
    }
    spdlog::info("job {}: stopped: {}", id, stop_.reason());
    return tracker.mark_failed(stop_.reason());
  }

  const RunnerEnvironment& env_;
  const QueueEntry& entry_;
  const StopSignal& stop_;
  LeaseFlag& lease_;
  redis::Endpoint endpoint_;
  std::unique_ptr<redis::Connection> redis_;
};

}  // namespace

void run_queue_entry(const RunnerEnvironment& environment, const QueueEntry& entry,
                     const StopSignal& stop, LeaseFlag& lease) {
  EntryRun(environment, entry, stop, lease).run();
}

}  // namespace headway::worker
