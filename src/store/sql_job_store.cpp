#include "store/sql_job_store.hpp"

#include <boost/json/parse.hpp>

#include <cctype>
#include <cmath>
#include <exception>
#include <string>

#include "core/progress_record.hpp"

namespace headway::store {
namespace {

constexpr const char* kSeqRange = "seq must be an integer from 1 to 2^53-1";

// Column order shared by every SELECT and by row_to_job.
constexpr const char* kJobColumns =
    "id, owner, type, params, status, stage, stage_progress, overall_progress, eta_seconds, "
    "error, attempts, created_at, started_at, finished_at, updated_at, last_seq";

// Must match the WHERE of the jobs_unfinished index (migration 3) word for word.
constexpr const char* kUnfinishedStatuses = "('queued', 'initializing', 'running')";

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<std::string> normalized_id(std::string_view id) {
  if (!is_uuid(id)) {
    return invalid_argument("job id '" + std::string(id.substr(0, 64)) +
                            "' is not a UUID (expected 8-4-4-4-12 hexadecimal digits)");
  }
  return lowercase(id);
}

Result<void> check_progress(const char* field, double value) {
  if (!std::isfinite(value) || value < 0 || value > 100) {
    return invalid_argument(std::string(field) + " must be between 0 and 100");
  }
  return {};
}

Result<void> check_time(const char* field, std::optional<double> value) {
  if (value && (!std::isfinite(*value) || *value < 0)) {
    return invalid_argument(std::string(field) +
                            " must be a finite, non-negative number of seconds");
  }
  return {};
}

class RowReader {
 public:
  explicit RowReader(const SqlRow& row) : row_(row) {}

  std::string text(std::size_t i) {
    if (const auto* s = std::get_if<std::string>(&row_.at(i))) {
      return *s;
    }
    if (!std::holds_alternative<std::monostate>(row_.at(i))) {
      bad_ = true;
    }
    return {};
  }
  std::optional<double> optional_real(std::size_t i) {
    const SqlValue& v = row_.at(i);
    if (const auto* d = std::get_if<double>(&v)) {
      return *d;
    }
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      return static_cast<double>(*n);
    }
    if (!std::holds_alternative<std::monostate>(v)) {
      bad_ = true;
    }
    return std::nullopt;
  }
  double real(std::size_t i) { return optional_real(i).value_or(0); }
  std::int64_t integer(std::size_t i) {
    const SqlValue& v = row_.at(i);
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      return *n;
    }
    if (const auto* d = std::get_if<double>(&v)) {
      return static_cast<std::int64_t>(*d);
    }
    bad_ = true;
    return 0;
  }
  bool bad() const { return bad_; }

 private:
  const SqlRow& row_;
  bool bad_ = false;
};

Result<Job> row_to_job(const SqlRow& row) {
  if (row.size() != 16) {
    return Error{ErrorCode::internal, "jobs row has an unexpected number of columns"};
  }
  RowReader r(row);
  Job job;
  job.id = r.text(0);
  job.owner = r.text(1);
  job.type = r.text(2);
  job.params = r.text(3);
  const std::string status = r.text(4);
  job.stage = r.text(5);
  job.stage_progress = r.real(6);
  job.overall_progress = r.real(7);
  job.eta_seconds = r.optional_real(8);
  job.error = r.text(9);
  job.attempts = r.integer(10);
  job.created_at = r.real(11);
  job.started_at = r.optional_real(12);
  job.finished_at = r.optional_real(13);
  job.updated_at = r.real(14);
  job.last_seq = r.integer(15);
  const auto parsed = parse_job_status(status);
  if (r.bad() || !parsed) {
    return Error{ErrorCode::internal, "jobs row " + job.id + " holds values of unexpected types"};
  }
  job.status = *parsed;
  return job;
}

}  // namespace

SqlJobStore::SqlJobStore(std::unique_ptr<SqlConnection> connection, std::shared_ptr<Clock> clock)
    : connection_(std::move(connection)), clock_(std::move(clock)) {}

Result<Job> SqlJobStore::create_job(const Job& job) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return create_job_locked(job); });
}

Result<Job> SqlJobStore::get_job(std::string_view id) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return get_job_locked(id); });
}

Result<JobPage> SqlJobStore::list_jobs(const JobQuery& query) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return list_jobs_locked(query); });
}

Result<std::vector<Job>> SqlJobStore::list_unfinished_jobs(std::string_view after_id,
                                                           std::int64_t limit) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::vector<Job>> {
    if (limit < 1 || limit > kMaxListLimit)
      return invalid_argument("limit must be between 1 and " + std::to_string(kMaxListLimit));
    const SqlParam params[] = {SqlParam::of(lowercase(after_id)), SqlParam::of(limit)};
    // The status list is spelled as in the jobs_unfinished index, so both
    // engines use that partial index.
    auto rows =
        connection_->query(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE status IN " +
                               kUnfinishedStatuses + " AND id > ? ORDER BY id LIMIT ?",
                           params);
    if (!rows)
      return rows.error();
    std::vector<Job> jobs;
    jobs.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      auto job = row_to_job(row);
      if (!job)
        return job.error();
      jobs.push_back(std::move(*job));
    }
    return jobs;
  });
}

Result<ApplyOutcome> SqlJobStore::apply_record(const ProgressUpdate& update) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return apply_record_locked(update); });
}

Result<std::vector<StageTiming>> SqlJobStore::stage_timings(std::string_view id) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return stage_timings_locked(id); });
}

Result<std::vector<CompletedRun>> SqlJobStore::recent_completed_runs(std::string_view type,
                                                                     std::int64_t limit) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return recent_completed_runs_locked(type, limit); });
}

Result<bool> SqlJobStore::set_status(const StatusChange& change) {
  std::lock_guard lock(mutex_);
  return guarded([&] { return set_status_locked(change); });
}

Result<void> SqlJobStore::ping() {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<void> {
    auto rows = connection_->query("SELECT 1", {});
    if (!rows) {
      return rows.error();
    }
    return {};
  });
}

Result<std::int64_t> SqlJobStore::schema_version() {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::int64_t> {
    auto rows = connection_->query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
    if (!rows) {
      return rows.error();
    }
    if (rows->size() != 1 || !std::holds_alternative<std::int64_t>(rows->front().at(0))) {
      return Error{ErrorCode::internal, "schema_migrations: unexpected version value"};
    }
    return std::get<std::int64_t>(rows->front()[0]);
  });
}

Result<Job> SqlJobStore::create_job_locked(const Job& input) {
  auto id = normalized_id(input.id);
  if (!id) {
    return id.error();
  }
  if (input.owner.empty()) {
    return invalid_argument("job owner must not be empty");
  }
  if (input.type.empty()) {
    return invalid_argument("job type must not be empty");
  }
  boost::system::error_code json_error;
  boost::json::parse(input.params, json_error);
  if (json_error) {
    return invalid_argument("job params are not valid JSON: " + json_error.message());
  }
  for (const auto& check :
       {check_progress("stage_progress", input.stage_progress),
        check_progress("overall_progress", input.overall_progress),
        check_time("eta_seconds", input.eta_seconds), check_time("created_at", input.created_at),
        check_time("started_at", input.started_at), check_time("finished_at", input.finished_at),
        check_time("updated_at", input.updated_at)}) {
    if (!check) {
      return check.error();
    }
  }
  if (input.attempts < 0 || input.last_seq < 0) {
    return invalid_argument("attempts and last_seq must not be negative");
  }
  if (input.last_seq > kMaxSeq) {
    return invalid_argument("last_seq must be at most 2^53-1");
  }

  Job job = input;
  job.id = std::move(*id);
  if (job.created_at <= 0) {
    job.created_at = clock_->now();
  }
  if (job.updated_at <= 0) {
    job.updated_at = job.created_at;
  }
  const SqlParam params[] = {
      SqlParam::of(job.id),
      SqlParam::of(job.owner),
      SqlParam::of(job.type),
      SqlParam::of(job.params),
      SqlParam::of(to_string(job.status)),
      SqlParam::of(job.stage),
      SqlParam::of(job.stage_progress),
      SqlParam::of(job.overall_progress),
      SqlParam::of(job.eta_seconds),
      SqlParam::of(job.error),
      SqlParam::of(job.attempts),
      SqlParam::of(job.created_at),
      SqlParam::of(job.started_at),
      SqlParam::of(job.finished_at),
      SqlParam::of(job.updated_at),
      SqlParam::of(job.last_seq),
  };
  auto inserted = connection_->execute(std::string("INSERT INTO jobs (") + kJobColumns +
                                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                           "?, ?)",
                                       params);
  if (!inserted) {
    if (inserted.error().code == ErrorCode::already_exists) {
      return Error{ErrorCode::already_exists, "job " + job.id + " already exists"};
    }
    return inserted.error();
  }
  return job;
}

Result<Job> SqlJobStore::get_job_locked(std::string_view raw_id) {
  auto id = normalized_id(raw_id);
  if (!id) {
    return id.error();
  }
  const SqlParam params[] = {SqlParam::of(*id)};
  auto rows =
      connection_->query(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?", params);
  if (!rows) {
    return rows.error();
  }
  if (rows->empty()) {
    return Error{ErrorCode::not_found, "no job " + *id};
  }
  return row_to_job(rows->front());
}

Result<JobPage> SqlJobStore::list_jobs_locked(const JobQuery& query) {
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    return invalid_argument("limit must be between 1 and " + std::to_string(kMaxListLimit));
  }
  if (query.offset < 0) {
    return invalid_argument("offset must not be negative");
  }
  std::string where;
  std::vector<SqlParam> params;
  if (query.owner) {
    where += " WHERE owner = ?";
    params.push_back(SqlParam::of(*query.owner));
  }
  if (query.status) {
    where += where.empty() ? " WHERE status = ?" : " AND status = ?";
    params.push_back(SqlParam::of(to_string(*query.status)));
  }

  auto counted = connection_->query("SELECT COUNT(*) FROM jobs" + where, params);
  if (!counted) {
    return counted.error();
  }
  JobPage page;
  if (counted->size() == 1 && std::holds_alternative<std::int64_t>(counted->front().at(0))) {
    page.total = std::get<std::int64_t>(counted->front()[0]);
  }

  params.push_back(SqlParam::of(query.limit));
  params.push_back(SqlParam::of(query.offset));
  auto rows = connection_->query(std::string("SELECT ") + kJobColumns + " FROM jobs" + where +
                                     " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                                 params);
  if (!rows) {
    return rows.error();
  }
  page.jobs.reserve(rows->size());
  for (const SqlRow& row : *rows) {
    auto job = row_to_job(row);
    if (!job) {
      return job.error();
    }
    page.jobs.push_back(std::move(*job));
  }
  return page;
}

Result<ApplyOutcome> SqlJobStore::apply_record_locked(const ProgressUpdate& update) {
  auto id = normalized_id(update.job_id);
  if (!id) {
    return id.error();
  }
  if (update.seq < 1 || update.seq > kMaxSeq) {
    return invalid_argument(kSeqRange);
  }
  if (update.attempt < 0) {
    return invalid_argument("attempt must not be negative");
  }
  for (const auto& check :
       {check_progress("stage_progress", update.stage_progress),
        check_progress("overall_progress", update.overall_progress),
        check_time("eta_seconds", update.eta_seconds), check_time("started_at", update.started_at),
        check_time("last_updated", update.last_updated)}) {
    if (!check) {
      return check.error();
    }
  }
  const double updated_at = update.last_updated > 0 ? update.last_updated : clock_->now();
  const bool terminal = is_terminal(update.status);
  // A queued record (a re-queued job) says nothing about when the job started.
  const SqlParam started_at = update.status == JobStatus::queued || !update.started_at
                                  ? SqlParam::null(SqlParam::Type::real)
                                  : SqlParam::of(*update.started_at);

  const SqlParam params[] = {
      SqlParam::of(to_string(update.status)),
      SqlParam::of(update.stage),
      SqlParam::of(update.stage_progress),
      SqlParam::of(update.overall_progress),
      SqlParam::of(update.eta_seconds),
      SqlParam::of(update.error),
      SqlParam::of(update.attempt),
      SqlParam::of(update.attempt),
      started_at,
      SqlParam::of(terminal ? std::optional<double>(updated_at) : std::nullopt),
      SqlParam::of(updated_at),
      SqlParam::of(update.seq),
      SqlParam::of(*id),
      SqlParam::of(update.seq),
  };
  // CASE rather than MAX()/GREATEST(): the one spelling both engines share.
  auto changed = connection_->execute(
      "UPDATE jobs SET status = ?, stage = ?, stage_progress = ?, overall_progress = ?, "
      "eta_seconds = ?, error = ?, "
      "attempts = CASE WHEN attempts > ? THEN attempts ELSE ? END, "
      "started_at = COALESCE(?, started_at), finished_at = ?, updated_at = ?, last_seq = ? "
      "WHERE id = ? AND last_seq < ?",
      params);
  if (!changed) {
    return changed.error();
  }
  if (*changed == 0) {
    const SqlParam lookup[] = {SqlParam::of(*id)};
    auto exists = connection_->query("SELECT 1 FROM jobs WHERE id = ?", lookup);
    if (!exists) {
      return exists.error();
    }
    if (exists->empty())
      return ApplyOutcome::unknown_job;
  }
  // Stale records count for the stage timings too: the worker folds a run's
  // final record into the row itself, often before the recorder has folded
  // the stage boundaries that came before it.
  if (auto stages = record_stage_locked(*id, update, updated_at); !stages)
    return stages.error();
  return *changed > 0 ? ApplyOutcome::applied : ApplyOutcome::stale;
}

// The stage timings of one record of the job (see JobStore::apply_record).
// Records may come late (the row already has a newer one) or twice, so every
// step is idempotent and order-free: a stage's earliest record says when it
// started, and the earliest record that ends it (its completion, the next
// stage's start, the attempt's end) says when it ended. A record only ends
// stages that started no later than it.
Result<void> SqlJobStore::record_stage_locked(const std::string& id, const ProgressUpdate& update,
                                              double at) {
  if (update.status == JobStatus::queued)
    return {};
  const bool terminal = is_terminal(update.status);
  // A terminal record ends every stage of the attempt (the name '' matches none).
  const SqlParam close_others[] = {SqlParam::of(at),
                                   SqlParam::of(id),
                                   SqlParam::of(update.attempt),
                                   SqlParam::of(terminal ? std::string() : update.stage),
                                   SqlParam::of(at),
                                   SqlParam::of(at)};
  auto closed = connection_->execute(
      "UPDATE job_stages SET finished_at = ? WHERE job_id = ? AND attempt = ? AND stage <> ? "
      "AND started_at <= ? AND (finished_at IS NULL OR finished_at > ?)",
      close_others);
  if (!closed)
    return closed.error();
  if (update.stage.empty())
    return {};
  const SqlParam start[] = {SqlParam::of(id), SqlParam::of(update.attempt),
                            SqlParam::of(update.stage), SqlParam::of(at)};
  auto started = connection_->execute(
      "INSERT INTO job_stages (job_id, attempt, stage, started_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (job_id, attempt, stage) DO UPDATE SET started_at = excluded.started_at "
      "WHERE excluded.started_at < job_stages.started_at",
      start);
  if (!started)
    return started.error();
  if (terminal || update.stage_progress >= 100) {
    const SqlParam end[] = {
        SqlParam::of(at),           SqlParam::of(id), SqlParam::of(update.attempt),
        SqlParam::of(update.stage), SqlParam::of(at), SqlParam::of(at)};
    auto ended = connection_->execute(
        "UPDATE job_stages SET finished_at = ? WHERE job_id = ? AND attempt = ? AND stage = ? "
        "AND started_at <= ? AND (finished_at IS NULL OR finished_at > ?)",
        end);
    if (!ended)
      return ended.error();
  }
  return {};
}

Result<std::vector<StageTiming>> SqlJobStore::stage_timings_locked(std::string_view raw_id) {
  auto id = normalized_id(raw_id);
  if (!id)
    return id.error();
  const SqlParam lookup[] = {SqlParam::of(*id)};
  auto exists = connection_->query("SELECT 1 FROM jobs WHERE id = ?", lookup);
  if (!exists)
    return exists.error();
  if (exists->empty())
    return Error{ErrorCode::not_found, "no job " + *id};
  auto rows = connection_->query(
      "SELECT attempt, stage, started_at, finished_at FROM job_stages WHERE job_id = ? "
      "ORDER BY attempt, started_at, stage",
      lookup);
  if (!rows)
    return rows.error();
  std::vector<StageTiming> timings;
  timings.reserve(rows->size());
  for (const auto& row : *rows) {
    RowReader r(row);
    StageTiming timing;
    timing.attempt = r.integer(0);
    timing.stage = r.text(1);
    timing.started_at = r.real(2);
    timing.finished_at = r.optional_real(3);
    if (r.bad())
      return Error{ErrorCode::internal, "job_stages row of " + *id + " holds unexpected types"};
    timings.push_back(std::move(timing));
  }
  return timings;
}

Result<std::vector<CompletedRun>> SqlJobStore::recent_completed_runs_locked(std::string_view type,
                                                                            std::int64_t limit) {
  if (type.empty())
    return invalid_argument("job type must not be empty");
  if (limit < 1 || limit > kMaxListLimit)
    return invalid_argument("limit must be between 1 and " + std::to_string(kMaxListLimit));
  const SqlParam params[] = {SqlParam::of(type), SqlParam::of(limit)};
  // The runs first (the jobs_completed_by_type index), then their stages: a
  // LEFT JOIN keeps a run that has none.
  auto rows = connection_->query(
      "SELECT runs.id, runs.params, runs.finished_at, runs.attempts, s.stage, s.started_at, "
      "s.finished_at "
      "FROM (SELECT id, params, attempts, finished_at FROM jobs "
      "WHERE type = ? AND status = 'completed' AND finished_at IS NOT NULL "
      "ORDER BY finished_at DESC, id DESC LIMIT ?) runs "
      "LEFT JOIN job_stages s ON s.job_id = runs.id AND s.attempt = runs.attempts "
      "ORDER BY runs.finished_at DESC, runs.id DESC, s.started_at, s.stage",
      params);
  if (!rows)
    return rows.error();
  std::vector<CompletedRun> runs;
  for (const auto& row : *rows) {
    if (row.size() != 7)
      return Error{ErrorCode::internal, "completed runs row has an unexpected number of columns"};
    RowReader r(row);
    const std::string id = r.text(0);
    if (runs.empty() || runs.back().id != id) {
      CompletedRun& run = runs.emplace_back();
      run.id = id;
      run.params = r.text(1);
      run.finished_at = r.real(2);
    }
    if (!std::holds_alternative<std::monostate>(row[4])) {
      StageTiming timing;
      timing.attempt = r.integer(3);
      timing.stage = r.text(4);
      timing.started_at = r.real(5);
      timing.finished_at = r.optional_real(6);
      runs.back().stages.push_back(std::move(timing));
    }
    if (r.bad())
      return Error{ErrorCode::internal,
                   "completed run " + id + " holds values of unexpected types"};
  }
  return runs;
}

Result<bool> SqlJobStore::set_status_locked(const StatusChange& change) {
  auto id = normalized_id(change.job_id);
  if (!id) {
    return id.error();
  }
  if (change.seq && (*change.seq < 1 || *change.seq > kMaxSeq)) {
    return invalid_argument(kSeqRange);
  }
  const double now = clock_->now();
  const bool terminal = is_terminal(change.status);

  // A finished job has nothing left to wait for, so its ETA is 0 (docs/protocol.md, section 1).
  std::string sql = "UPDATE jobs SET status = ?, error = ?, updated_at = ?, finished_at = ?";
  std::vector<SqlParam> params = {
      SqlParam::of(to_string(change.status)),
      SqlParam::of(change.error),
      SqlParam::of(now),
      SqlParam::of(terminal ? std::optional<double>(now) : std::nullopt),
  };
  if (terminal) {
    sql += ", eta_seconds = ?";
    params.push_back(SqlParam::of(0.0));
  }
  if (change.seq) {
    sql += ", last_seq = CASE WHEN last_seq > ? THEN last_seq ELSE ? END";
    params.push_back(SqlParam::of(*change.seq));
    params.push_back(SqlParam::of(*change.seq));
  }
  sql += " WHERE id = ?";
  params.push_back(SqlParam::of(*id));
  if (!change.only_if_status_in.empty()) {
    sql += " AND status IN (";
    for (std::size_t i = 0; i < change.only_if_status_in.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.push_back(SqlParam::of(to_string(change.only_if_status_in[i])));
    }
    sql += ")";
  }
  auto changed = connection_->execute(sql, params);
  if (!changed) {
    return changed.error();
  }
  return *changed > 0;
}

}  // namespace headway::store
