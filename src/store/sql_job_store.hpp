#pragma once

#include <memory>
#include <mutex>

#include "store/job_store.hpp"
#include "store/sql_connection.hpp"

namespace headway::store {

// The JobStore written once in SQL common to SQLite and PostgreSQL, over one
// SqlConnection. Thread-safe: a mutex serializes every call on the connection.
class SqlJobStore final : public JobStore {
 public:
  SqlJobStore(std::unique_ptr<SqlConnection> connection, std::shared_ptr<Clock> clock);

  Result<Job> create_job(const Job& job) override;
  Result<Job> get_job(std::string_view id) override;
  Result<JobPage> list_jobs(const JobQuery& query) override;
  Result<ApplyOutcome> apply_record(const ProgressUpdate& update) override;
  Result<bool> set_status(const StatusChange& change) override;
  Result<void> ping() override;
  Result<std::int64_t> schema_version() override;

 private:
  Result<Job> create_job_locked(const Job& job);
  Result<Job> get_job_locked(std::string_view id);
  Result<JobPage> list_jobs_locked(const JobQuery& query);
  Result<ApplyOutcome> apply_record_locked(const ProgressUpdate& update);
  Result<bool> set_status_locked(const StatusChange& change);

  std::mutex mutex_;
  std::unique_ptr<SqlConnection> connection_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace headway::store
