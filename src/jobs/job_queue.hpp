#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "jobs/job_catalog.hpp"
#include "jobs/job_error.hpp"
#include "jobs/record_writer.hpp"
#include "redis/connection.hpp"
#include "store/job_store.hpp"

namespace headway::worker {

// A job as the API receives it.
struct NewJob {
  std::string owner{};
  std::string type{};
  // The request's params object as JSON text; empty means {}.
  std::string params_json{};
  // Empty: a new random UUID.
  std::string id{};
};

enum class CancelOutcome {
  cancelled,          // it was queued: it is now cancelled and will never run
  cancel_requested,   // it is running: its Tracker stops it within ~1 s
  already_cancelled,  // nothing to do (cancel is idempotent)
};
const char* to_string(CancelOutcome outcome);

// The server's side of job creation (docs/worker.md): validates the type
// and params with `catalog`, inserts the row (status queued), writes the
// `queued` record (seq 1, attempt 1, the type's stage plan) with the Tracker's
// write script so watchers see the job at once, and adds it to jobs:queue
// (except `external` jobs, which their own program runs). Returns the row.
// Errors: invalid_input naming the field, conflict for a taken id, unavailable
// when Redis or the table cannot be reached (a row already inserted is then
// marked failed, so nothing stays queued forever without a queue entry).
// Blocks on Redis and database I/O.
JobResult<store::Job> enqueue_job(redis::Connection& redis, store::JobStore& store,
                                  const JobCatalog& catalog, const NewJob& job,
                                  const RecordOptions& options = {});

// Requests cancellation (docs/worker.md, "cancel"): sets progress:cancel:<id>; a queued job
// is marked cancelled in the table and gets a `cancelled` record (so open
// streams end); a running one is stopped by its Tracker. A job that already
// completed or failed is a conflict. Does not check ownership: the caller
// does. Blocks on Redis and database I/O.
JobResult<CancelOutcome> cancel_job(redis::Connection& redis, store::JobStore& store,
                                    std::string_view job_id, const RecordOptions& options = {});

// enqueue_job and cancel_job over a Redis connection of its own, opened on
// first use; a connection Redis closed meanwhile (a restart) is reconnected
// before the next command (redis::Connection). Thread-safe: calls are
// serialized on the connection (each is a few short round trips); keep them
// off an event loop thread, as with the JobStore.
class JobQueue {
 public:
  JobQueue(redis::Endpoint redis, store::JobStore& store, JobCatalog catalog,
           RecordOptions options = {}, redis::Connection::Timeouts timeouts = {});

  JobResult<store::Job> enqueue(const NewJob& job);
  JobResult<CancelOutcome> cancel(std::string_view job_id);
  // A PING on the queue's connection, for health checks: succeeds only when
  // the next enqueue or cancel can reach Redis.
  JobResult<void> ping();
  const JobCatalog& catalog() const { return catalog_; }

 private:
  template <typename Call>
  auto with_connection(Call&& call) -> decltype(call(std::declval<redis::Connection&>()));

  redis::Endpoint endpoint_;
  store::JobStore& store_;
  JobCatalog catalog_;
  RecordOptions options_;
  redis::Connection::Timeouts timeouts_;
  std::mutex mutex_;
  std::unique_ptr<redis::Connection> connection_;
};

}  // namespace headway::worker
