#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_catalog.hpp"
#include "jobs/job_error.hpp"
#include "jobs/queue_stream.hpp"
#include "store/job_store.hpp"
#include "worker/worker_options.hpp"

namespace headway::worker {

// `headway worker`: takes jobs from jobs:queue through the `workers` consumer
// group and runs up to `concurrency` of them at once, each on its own thread
// with its own Tracker (docs/worker.md). A heartbeat thread extends the
// leases of running jobs and keeps their queue entries from looking idle;
// entries idle for reclaim_idle (their worker died) are taken over with
// XAUTOCLAIM.
//
// Thread-safe: run() on one thread; stop() from any thread (a signal handler
// thread, a test).
class Worker {
 public:
  Worker(WorkerOptions options, store::JobStore& store, JobCatalog catalog);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until stop(), then lets running jobs finish for up to
  // shutdown_grace and stops the rest (they end failed, naming the reason).
  // Returns an error only when it cannot start (a malformed Redis URL); a
  // Redis that is down is waited for.
  JobResult<void> run();

  // Stops taking work. `immediate` ends the grace period now.
  void stop(bool immediate = false);

  const std::string& consumer() const { return consumer_; }

 private:
  struct Running;
  // Where XAUTOCLAIM continues and when it runs next.
  struct ReclaimScan {
    std::string cursor;
    std::chrono::steady_clock::time_point next_at;
    std::chrono::milliseconds every;
  };
  void fetch_loop();
  // Idle entries of lost workers when a reclaim is due, else new entries.
  JobResult<std::vector<QueueEntry>> next_entries(redis::Connection& redis, int free_slots,
                                                  ReclaimScan& scan);
  void heartbeat_loop();
  // One heartbeat round over the running jobs; false when Redis could not be
  // reached (the loop then retries soon).
  bool renew_leases(std::unique_ptr<redis::Connection>& redis, const redis::Endpoint& endpoint,
                    const std::vector<std::shared_ptr<Running>>& running);
  // Drops consumers of stopped or dead workers from the group.
  void forget_dead_consumers(redis::Connection& redis);
  // On a clean stop: this worker's consumer leaves the group if it holds nothing.
  void leave_group();
  void dispatch(std::vector<QueueEntry> entries);
  void reap_finished();
  std::size_t running_count();
  void shut_down();
  bool wait_for_stop(std::chrono::milliseconds timeout);

  WorkerOptions options_;
  store::JobStore& store_;
  JobCatalog catalog_;
  std::string consumer_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool immediate_ = false;
  std::vector<std::shared_ptr<Running>> running_;
};

}  // namespace headway::worker
