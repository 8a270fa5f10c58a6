#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "jobs/job_catalog.hpp"
#include "jobs/queue_stream.hpp"
#include "store/job_store.hpp"
#include "worker/job_context.hpp"
#include "worker/worker_options.hpp"

namespace headway::worker {

// What the worker shares with the runners of its jobs. The store and catalog
// are thread-safe; the rest is read-only.
struct RunnerEnvironment {
  const WorkerOptions& options;
  store::JobStore& store;
  const JobCatalog& catalog;
  std::string consumer;
};

// Set by the runner once it holds the job's lease, so the worker's heartbeat
// starts extending it, and once it counted the attempt, so the heartbeat can
// tell this run's record from another's when it has to take the lease again.
// Thread-safe.
class LeaseFlag {
 public:
  void set(bool held) { held_.store(held, std::memory_order_release); }
  bool held() const { return held_.load(std::memory_order_acquire); }
  void set_attempt(std::int64_t attempt) { attempt_.store(attempt, std::memory_order_release); }
  // 0 until the run has counted its attempt.
  std::int64_t attempt() const { return attempt_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> held_{false};
  std::atomic<std::int64_t> attempt_{0};
};

// The stop reason that means another worker may own the job now: the run
// ends without a terminal record and without acknowledging the entry.
inline constexpr std::string_view kLeaseLostReason = "lease lost";

// Takes one queue entry from delivery to acknowledgement on the calling
// thread: acquires the lease, skips jobs that are finished or cancelled,
// counts the attempt (failing the job as "worker lost" past max_attempts),
// claims the row, runs the job with a Tracker, makes the terminal call, folds
// the first and last record into the job table and acknowledges the entry.
// Failures it cannot resolve (Redis or the table down) leave the entry
// pending, to be reclaimed after reclaim_idle.
void run_queue_entry(const RunnerEnvironment& environment, const QueueEntry& entry,
                     const StopSignal& stop, LeaseFlag& lease);

}  // namespace headway::worker
