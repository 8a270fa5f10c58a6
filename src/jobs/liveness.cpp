#include "jobs/liveness.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <unordered_set>

#include "core/progress_record.hpp"
#include "jobs/lease.hpp"
#include "jobs/queue_keys.hpp"
#include "jobs/queue_stream.hpp"
#include "jobs/table_sync.hpp"
#include "redis/keys.hpp"

namespace headway::worker {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::int64_t kRowsPage = 500;
constexpr std::size_t kKeysPerCommand = 200;
const std::vector<JobStatus> kUnfinished = {JobStatus::queued, JobStatus::initializing,
                                            JobStatus::running};

// `external` jobs are reported by their own program and never queued.
bool is_external(const store::Job& row) {
  return row.type == "external";
}

// MGET in batches: the value of each key, nullopt when missing.
JobResult<std::vector<std::optional<std::string>>> get_values(
    redis::Connection& redis, const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> values;
  values.reserve(keys.size());
  for (std::size_t first = 0; first < keys.size(); first += kKeysPerCommand) {
    std::vector<std::string_view> args = {"MGET"};
    const std::size_t last = std::min(keys.size(), first + kKeysPerCommand);
    for (std::size_t i = first; i < last; ++i)
      args.push_back(keys[i]);
    auto result = redis.command(args);
    if (!result.ok() || result.is_error_reply())
      return redis_error("read the jobs' keys", result);
    const redisReply* reply = result.reply.get();
    for (std::size_t i = 0; i < last - first; ++i) {
      const redisReply* value =
          reply->type == REDIS_REPLY_ARRAY && i < reply->elements ? reply->element[i] : nullptr;
      if (value != nullptr && value->type == REDIS_REPLY_STRING)
        values.emplace_back(std::string(value->str, value->len));
      else
        values.emplace_back();
    }
  }
  return values;
}

// The record of a job queued again after its run was lost: progress starts
// over (the next attempt runs from the beginning); the plan stays. It keeps
// the lost run's attempt, so that run's worker, should it be alive after all,
// may still take its lease back (renew_lease compares the attempt).
ProgressRecord requeued_record(const store::Job& row, const ProgressRecord& last, double now) {
  ProgressRecord record;
  record.job_id = row.id;
  record.status = JobStatus::queued;
  record.started_at = row.created_at;
  record.last_updated = now;
  record.attempt = std::max<std::int64_t>({1, row.attempts, last.attempt});
  record.stages = last.stages;
  return record;
}

std::string seconds(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace

// Settles one job found lost: its last look, then the change.
struct LivenessSweep::Settle {
  LivenessSweep& sweep;
  redis::Connection& redis;
  SweepReport& report;

  // An error leaves the job to a later sweep.
  JobResult<void> run(const store::Job& row, const std::optional<ProgressRecord>& stored,
                      const QueuedEntry* entry) {
    // A worker may have taken the job a moment ago.
    if (!is_external(row)) {
      auto lease = redis.command({"EXISTS", keys::lease(row.id)});
      if (!lease.ok() || lease.is_error_reply())
        return redis_error("look for the job's lease", lease);
      if (lease.reply->integer == 1)
        return {};
    }
    auto cancel = redis.command({"EXISTS", redis::keys::cancel(row.id)});
    if (!cancel.ok() || cancel.is_error_reply())
      return redis_error("look for a cancel request", cancel);
    const bool cancel_requested = cancel.reply->integer == 1;
    const ProgressRecord last = stored.value_or(store::to_progress_record(row));
    const std::int64_t next_seq = std::max(row.last_seq, stored ? stored->seq : 0) + 1;
    const double now = system_clock()->now();

    if (cancel_requested || is_external(row)) {
      const JobStatus status = cancel_requested ? JobStatus::cancelled : JobStatus::failed;
      const std::string error = cancel_requested ? std::string()
                                                 : "its program wrote no progress record for " +
                                                       seconds(sweep.options_.external_timeout) +
                                                       " s (the external job heartbeat timeout)";
      ProgressRecord record = final_record(last, status, error, now);
      record.seq = next_seq;
      auto written = write_record_if_newer(redis, record, sweep.options_.records);
      if (!written)
        return written.error();
      if (!written->written)
        return {};  // it wrote a moment ago: alive after all
      auto changed = sweep.store_.set_status({.job_id = row.id,
                                              .status = status,
                                              .error = error,
                                              .only_if_status_in = kUnfinished,
                                              .seq = next_seq});
      if (!changed)
        return store_error("end the job", changed.error());
      if (entry != nullptr) {
        if (auto finished = finish_entry(redis, entry->entry_id); !finished)
          return finished.error();
      }
      spdlog::warn("job {}: {}; ended {}", row.id,
                   is_external(row) ? "no record from its program for " +
                                          seconds(sweep.options_.external_timeout) + " s"
                                    : "its run was lost and a cancel was requested",
                   to_string(status));
      ++(cancel_requested ? report.cancelled : report.failed);
      return {};
    }

    // Still queued with an entry that was delivered to a worker which then
    // stopped: the next worker with a free slot reclaims the entry.
    if (row.status == JobStatus::queued && entry != nullptr)
      return {};
    ProgressRecord record = requeued_record(row, last, now);
    record.seq = next_seq;
    auto written = write_record_if_newer(redis, record, sweep.options_.records);
    if (!written)
      return written.error();
    if (!written->written)
      return {};
    // The row counts the runs started; a queued record starts none.
    auto update = to_store_update(record);
    update.attempt = row.attempts;
    if (auto applied = sweep.store_.apply_record(update); !applied)
      return store_error("queue the job again", applied.error());
    if (entry == nullptr) {
      if (auto added = add_queue_entry(redis, row.id, row.type); !added)
        return added.error();
    }
    spdlog::warn(
        "job {}: {} with no lease, no live queue entry and no new record for {} s ({}); "
        "queued again",
        row.id, to_string(row.status), seconds(sweep.options_.lost_after),
        row.status == JobStatus::queued ? "its queue entry is gone" : "its run was lost");
    ++report.requeued;
    return {};
  }
};

LivenessSweep::LivenessSweep(store::JobStore& store, LivenessOptions options)
    : store_(store), options_(options) {}

JobResult<SweepReport> LivenessSweep::sweep(redis::Connection& redis, SteadyClock::time_point now) {
  std::vector<store::Job> rows;
  for (std::string after;;) {
    auto page = store_.list_unfinished_jobs(after, kRowsPage);
    if (!page)
      return store_error("list the unfinished jobs", page.error());
    rows.insert(rows.end(), std::make_move_iterator(page->begin()),
                std::make_move_iterator(page->end()));
    if (page->size() < static_cast<std::size_t>(kRowsPage))
      break;
    after = rows.back().id;
  }
  SweepReport report;
  report.checked = static_cast<int>(rows.size());

  auto queue = list_queue(redis);
  if (!queue)
    return queue.error();
  // A job queued twice counts by its liveliest entry.
  std::unordered_map<std::string, QueuedEntry> entries;
  for (auto& [job_id, entry] : *queue) {
    auto [it, inserted] = entries.try_emplace(job_id, entry);
    if (!inserted && (!entry.pending || (it->second.pending && entry.idle < it->second.idle)))
      it->second = entry;
  }
  std::vector<std::string> lease_keys;
  for (const auto& row : rows) {
    if (!is_external(row))
      lease_keys.push_back(keys::lease(row.id));
  }
  auto leases = get_values(redis, lease_keys);
  if (!leases)
    return leases.error();

  // Jobs with no sign of life from a lease or the queue; their records decide.
  std::vector<const store::Job*> quiet;
  std::unordered_set<std::string> listed;
  std::size_t lease_index = 0;
  for (const auto& row : rows) {
    listed.insert(row.id);
    bool alive = false;
    if (!is_external(row)) {
      alive = (*leases)[lease_index++].has_value();
      auto entry = entries.find(row.id);
      if (entry != entries.end() &&
          (!entry->second.pending || entry->second.idle < options_.lost_after))
        alive = true;
    }
    if (alive)
      suspects_.erase(row.id);
    else
      quiet.push_back(&row);
  }
  std::vector<std::string> record_keys;
  for (const auto* row : quiet)
    record_keys.push_back(redis::keys::record(row->id));
  auto records = get_values(redis, record_keys);
  if (!records)
    return records.error();

  Settle settle{*this, redis, report};
  for (std::size_t i = 0; i < quiet.size(); ++i) {
    const store::Job& row = *quiet[i];
    std::optional<ProgressRecord> stored;
    if ((*records)[i])
      stored = parse_progress_record(*(*records)[i]);
    if (stored && stored->job_id != row.id)
      stored.reset();  // not this job's record: as good as none
    if (stored && is_terminal(stored->status)) {
      // The run ended but the table did not hear of it (its worker died
      // between the two): the record is the truth.
      auto applied = store_.apply_record(to_store_update(*stored));
      if (!applied)
        return store_error("fold the job's last record", applied.error());
      suspects_.erase(row.id);
      ++report.folded;
      continue;
    }
    const std::int64_t seq = stored ? stored->seq : 0;
    auto [suspect, first_seen] = suspects_.try_emplace(row.id, Suspect{now, seq});
    if (!first_seen && suspect->second.seq != seq)
      suspect->second = Suspect{now, seq};
    const auto bound = is_external(row) ? options_.external_timeout : options_.lost_after;
    if (first_seen || now - suspect->second.since < bound)
      continue;
    auto entry = entries.find(row.id);
    auto settled = settle.run(row, stored, entry == entries.end() ? nullptr : &entry->second);
    if (!settled)
      return settled.error();
    suspects_.erase(row.id);
  }
  for (auto it = suspects_.begin(); it != suspects_.end();) {
    if (listed.contains(it->first))
      ++it;
    else
      it = suspects_.erase(it);
  }
  return report;
}

LivenessSweeper::LivenessSweeper(redis::Endpoint endpoint, store::JobStore& store,
                                 LivenessOptions options)
    : endpoint_(std::move(endpoint)),
      sweep_(store, options),
      interval_(interval_for(options)),
      owner_(unique_process_name()) {}

LivenessSweeper::~LivenessSweeper() {
  stop();
}

std::chrono::milliseconds LivenessSweeper::interval_for(const LivenessOptions& options) {
  const auto shorter = std::min(options.lost_after, options.external_timeout);
  return std::clamp(shorter / 4, std::chrono::milliseconds(100), std::chrono::milliseconds(10000));
}

void LivenessSweeper::start() {
  thread_ = std::thread([this] { run(); });
}

void LivenessSweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void LivenessSweeper::run() {
  // Long enough to outlast a slow sweep; short enough that another process
  // takes over soon after this one died.
  const auto lock_ttl = std::max(interval_ * 3, std::chrono::milliseconds(3000));
  std::unique_ptr<redis::Connection> redis;
  bool holding = false;
  bool failing = false;
  auto report_failure = [&](const std::string& message) {
    if (!failing)
      spdlog::warn("liveness sweep: {}; retrying every {} ms", message, interval_.count());
    failing = true;
  };
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; }))
        break;
    }
    if (!redis || redis->broken()) {
      std::string error;
      redis = redis::Connection::open(endpoint_, {}, error);
      if (!redis) {
        report_failure(error);
        continue;
      }
    }
    auto held = hold_lock(*redis, kLivenessSweepLock, owner_, lock_ttl);
    if (!held) {
      report_failure(held.error().message);
      continue;
    }
    if (!*held) {
      if (holding)
        sweep_.forget();  // another process sweeps now
      holding = false;
      continue;
    }
    holding = true;
    auto report = sweep_.sweep(*redis, SteadyClock::now());
    if (!report) {
      report_failure(report.error().message);
      continue;
    }
    failing = false;
  }
  if (holding && redis && !redis->broken())
    (void)release_lock(*redis, kLivenessSweepLock, owner_);
}

std::string unique_process_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0)
    std::snprintf(host, sizeof host, "worker");
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", random() & 0xffffff);
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace headway::worker
