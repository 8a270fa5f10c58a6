#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include "store/job_store.hpp"
#include "store/sql_connection.hpp"

namespace headway::store {

// Runs `body`, turning any exception (allocation failure, a bug) into an
// Error so that nothing escapes the store's interface.
template <typename Body>
auto guarded(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, std::string("job store: ") + e.what()};
  }
}

// The JobStore written once in SQL common to SQLite and PostgreSQL, over one
// SqlConnection. Thread-safe: a mutex serializes every call on the connection.
class SqlJobStore final : public JobStore, public AuthStore {
 public:
  SqlJobStore(std::unique_ptr<SqlConnection> connection, std::shared_ptr<Clock> clock);

  Result<Job> create_job(const Job& job) override;
  Result<Job> get_job(std::string_view id) override;
  Result<JobPage> list_jobs(const JobQuery& query) override;
  Result<std::vector<Job>> list_unfinished_jobs(std::string_view after_id,
                                                std::int64_t limit) override;
  Result<ApplyOutcome> apply_record(const ProgressUpdate& update) override;
  Result<std::vector<StageTiming>> stage_timings(std::string_view id) override;
  Result<std::vector<CompletedRun>> recent_completed_runs(std::string_view type,
                                                          std::int64_t limit) override;
  Result<bool> set_status(const StatusChange& change) override;
  Result<void> ping() override;
  Result<std::int64_t> schema_version() override;
  AuthStore& auth() override { return *this; }

  // AuthStore, in sql_auth_store.cpp.
  Result<User> create_user(const User& user) override;
  Result<User> get_user(std::string_view name) override;
  Result<std::int64_t> count_users() override;
  Result<void> set_password_hash(std::string_view name, std::string_view hash) override;
  Result<bool> replace_password_hash(std::string_view name, std::string_view old_hash,
                                     std::string_view new_hash) override;
  Result<void> remove_user(std::string_view name, OwnedJobs jobs) override;
  Result<ApiToken> create_token(const ApiToken& token, std::string_view token_hash) override;
  Result<std::pair<User, ApiToken>> find_token(std::string_view token_hash) override;
  Result<bool> revoke_token(std::string_view id, double now) override;
  Result<std::vector<ApiToken>> list_tokens(std::string_view user) override;
  Result<void> create_session(std::string_view id_hash, const Session& session) override;
  Result<std::pair<User, Session>> find_session(std::string_view id_hash, double now) override;
  Result<void> delete_session(std::string_view id_hash) override;
  Result<std::string> setting_or_insert(std::string_view name, std::string_view value) override;

 private:
  Result<Job> create_job_locked(const Job& job);
  Result<Job> get_job_locked(std::string_view id);
  Result<JobPage> list_jobs_locked(const JobQuery& query);
  Result<ApplyOutcome> apply_record_locked(const ProgressUpdate& update);
  Result<void> record_stage_locked(const std::string& id, const ProgressUpdate& update, double at);
  Result<std::vector<StageTiming>> stage_timings_locked(std::string_view id);
  Result<std::vector<CompletedRun>> recent_completed_runs_locked(std::string_view type,
                                                                 std::int64_t limit);
  Result<bool> set_status_locked(const StatusChange& change);

  std::mutex mutex_;
  std::unique_ptr<SqlConnection> connection_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace headway::store
