#pragma once

#include <chrono>
#include <string>

#include "jobs/record_writer.hpp"

namespace headway::worker {

// How a `headway worker` runs (docs/worker.md has the flag for each). A plain value.
struct WorkerOptions {
  std::string redis_url = "redis://127.0.0.1:6379";
  // Jobs run at once, each on its own thread.
  int concurrency = 1;
  // A queue entry pending this long without a heartbeat is taken over.
  std::chrono::milliseconds reclaim_idle{30000};
  // Runs a job may start; when a lost worker used the last one, the job is
  // marked failed ("worker lost") instead of run again. 2 = one retry.
  int max_attempts = 2;
  // After stop(): how long running jobs may take to finish before they are
  // stopped and marked failed.
  std::chrono::milliseconds shutdown_grace{30000};
  // How long one XREADGROUP waits for work (also bounds how fast stop() is seen).
  std::chrono::milliseconds block{1000};
  // The consumer name in the group; empty: <hostname>-<pid>-<random>.
  std::string consumer;
  RecordOptions records;

  // The lease expires before the entry becomes reclaimable, so a reclaimed
  // entry of a dead worker finds its lease free. It outlives a heartbeat
  // interval six times over, so a Redis outage of up to 5/6 of the lease
  // (the heartbeat retries every 100 ms meanwhile) costs a running job nothing.
  std::chrono::milliseconds lease_ttl() const {
    return std::max(std::chrono::milliseconds(300), reclaim_idle * 3 / 4);
  }
  std::chrono::milliseconds heartbeat_interval() const { return lease_ttl() / 6; }
};

}  // namespace headway::worker
