#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job_status.hpp"
#include "core/uuid.hpp"
#include "headway/clock.hpp"
#include "store/auth_store.hpp"
#include "store/result.hpp"

namespace headway::store {

// The job lifecycle is the progress record's (core/job_status.hpp).
using ::headway::is_terminal;
using ::headway::is_uuid;
using ::headway::JobStatus;
using ::headway::parse_job_status;
using ::headway::to_string;

// One row of the job table (docs/store.md). Times are Unix seconds.
struct Job {
  std::string id;             // UUID, stored in lowercase canonical form
  std::string owner;          // who may see the job
  std::string type;           // timetable, command, external, ...
  std::string params = "{}";  // JSON text, validated on create
  JobStatus status = JobStatus::queued;
  std::string stage;
  double stage_progress = 0;
  double overall_progress = 0;
  std::optional<double> eta_seconds;  // unknown when empty
  std::string error;                  // empty unless the job failed (or was failed)
  std::int64_t attempts = 0;
  double created_at = 0;  // 0 on create_job: the store's clock fills it in
  std::optional<double> started_at;
  std::optional<double> finished_at;
  double updated_at = 0;  // 0 on create_job: created_at
  // The seq of the last progress record folded in; records with seq <= last_seq
  // are ignored, which makes folding an at-least-once stream idempotent.
  std::int64_t last_seq = 0;
};

// The fields of one progress record (docs/protocol.md, section 1) that the table keeps.
// The record is the job's whole state, so applying it overwrites the row.
struct ProgressUpdate {
  std::string job_id;
  std::int64_t seq = 0;  // 1..kMaxSeq (2^53-1); others are invalid_argument
  JobStatus status = JobStatus::running;
  std::string stage;
  double stage_progress = 0;    // 0..100
  double overall_progress = 0;  // 0..100
  std::optional<double> eta_seconds;
  std::int64_t attempt = 1;
  // Ignored for `queued` records: a queued job has not started.
  std::optional<double> started_at;
  double last_updated = 0;  // becomes updated_at, and finished_at when terminal
  std::string error;        // metadata.error; empty when none
};

// One stage of one attempt of a job: when it started, and when it ended (empty
// while it runs, or when the attempt was lost before it ended).
struct StageTiming {
  std::int64_t attempt = 1;
  std::string stage;
  double started_at = 0;
  std::optional<double> finished_at;
};

// A completed job with the stage timings of the attempt that completed it,
// as recent_completed_runs answers it.
struct CompletedRun {
  std::string id;
  std::string params;  // JSON text, as stored
  double finished_at = 0;
  std::vector<StageTiming> stages;  // of the completing attempt, by start time
};

enum class ApplyOutcome {
  applied,      // the row now reflects the record
  stale,        // seq was not newer than last_seq: a duplicate or out-of-order record
  unknown_job,  // no row with that id
};

// A conditional status change made outside the progress stream: the server
// cancelling a queued job, the worker failing a job whose worker was lost.
struct StatusChange {
  std::string job_id;
  JobStatus status = JobStatus::cancelled;
  std::string error{};
  // Change the row only if its current status is one of these; empty means always.
  std::vector<JobStatus> only_if_status_in{};
  // The seq of the progress record the caller wrote for this change, if any, so
  // that older records still in flight cannot undo it.
  std::optional<std::int64_t> seq{};
};

struct JobQuery {
  std::optional<std::string> owner{};  // nullopt: every owner (admin view)
  std::optional<JobStatus> status{};   // nullopt: any status
  std::int64_t limit = 50;             // 1..kMaxListLimit
  std::int64_t offset = 0;             // >= 0
};

inline constexpr std::int64_t kMaxListLimit = 1000;

struct JobPage {
  std::vector<Job> jobs;   // newest first (created_at, then id, descending)
  std::int64_t total = 0;  // rows matching the filters, ignoring limit and offset
};

// The durable job table, behind which sit SQLite and PostgreSQL.
//
// Thread-safe: each store owns one database connection and serializes calls on
// it with a mutex, so the server may share one store between threads. Calls
// block on database I/O; keep them off an event loop thread.
//
// Never throws: every failure, including a lost database, comes back as an
// Error. A PostgreSQL store whose connection broke reconnects on its next call.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Inserts a new job. Fails with already_exists if the id is taken, and with
  // invalid_argument for a malformed id, empty owner or type, or params that
  // are not JSON. Returns the row as stored (normalized id, filled-in times).
  virtual Result<Job> create_job(const Job& job) = 0;

  // not_found if there is no such job; invalid_argument for a malformed id.
  virtual Result<Job> get_job(std::string_view id) = 0;

  virtual Result<JobPage> list_jobs(const JobQuery& query) = 0;

  // Up to `limit` (1..kMaxListLimit) jobs that are not terminal (queued,
  // initializing, running) with an id greater than `after_id` (empty: from
  // the start), in id order: pass the last id seen to read the next page.
  // What the liveness sweep checks; served by a partial index, so it stays
  // cheap however many finished jobs the table holds.
  virtual Result<std::vector<Job>> list_unfinished_jobs(std::string_view after_id,
                                                        std::int64_t limit) = 0;

  // Folds one progress record into the row, only if update.seq > last_seq.
  // attempts becomes max(attempts, attempt); a terminal status sets
  // finished_at = last_updated, any other status clears it. Every record of a
  // known job, stale ones included (the worker folds a run's final record
  // before the recorder folds the boundaries before it), also keeps the stage
  // timings, in any order: a stage (of an attempt) starts at the last_updated
  // of its earliest record, and ends at the earliest of its completion
  // (stage_progress 100), the start of another stage and the attempt's
  // terminal record that came no earlier than its start.
  virtual Result<ApplyOutcome> apply_record(const ProgressUpdate& update) = 0;

  // Every stage timing of the job, by attempt and then start time. Empty for a
  // job that never started a stage; not_found if there is no such job.
  virtual Result<std::vector<StageTiming>> stage_timings(std::string_view id) = 0;

  // The `limit` (1..kMaxListLimit) most recently finished completed jobs of
  // `type`, newest first (finished_at, then id, descending), each with the
  // stage timings of its completing attempt (its last); a run without stage
  // timings comes with none. What the worker builds a new run's ETA prior
  // from (docs/eta.md); served by an index on (type, finished_at) of
  // completed jobs. invalid_argument for an empty type or a limit out of range.
  virtual Result<std::vector<CompletedRun>> recent_completed_runs(std::string_view type,
                                                                  std::int64_t limit) = 0;

  // Applies `change` if the row's status allows it; returns whether a row
  // changed. A terminal status sets finished_at to the store clock's now.
  virtual Result<bool> set_status(const StatusChange& change) = 0;

  // A cheap round trip, for health checks.
  virtual Result<void> ping() = 0;

  // The highest migration applied to this database.
  virtual Result<std::int64_t> schema_version() = 0;

  // Users, tokens and sessions, in the same database.
  virtual AuthStore& auth() = 0;
};

struct StoreOptions {
  // The time for created_at and set_status; the system clock when null.
  std::shared_ptr<Clock> clock{};
  // How long SQLite waits for another process's lock before failing with busy.
  int sqlite_busy_timeout_ms = 5000;
  // How long a PostgreSQL (re)connection attempt may take.
  int postgres_connect_timeout_s = 5;
};

// Opens (creating if needed) the job table and applies pending migrations.
// Accepted URLs:
//   sqlite:///abs/path.db, sqlite://relative/path.db, a plain file path,
//   :memory: (tests only: private to this store and lost when it closes),
//   postgres://user:pass@host:port/db or postgresql://... (any libpq URI).
// Errors: invalid_argument for an unknown scheme, unavailable when the
// database cannot be reached, schema when migrations fail or the database was
// migrated by a newer build.
Result<std::unique_ptr<JobStore>> open_job_store(std::string_view url,
                                                 const StoreOptions& options = {});

}  // namespace headway::store
