#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "jobs/job_error.hpp"
#include "redis/connection.hpp"

namespace headway::worker {

// The per-job lease (jobs:lease:<id>): the key holds the consumer name of the
// worker running the job and expires unless that worker keeps extending it.
// It is what guarantees that a job never runs twice at once: a worker runs a
// job only after acquiring its lease, and a reclaimed queue entry whose lease
// is still held (its worker is alive, only slow to heartbeat) is left alone.
// Free functions over a caller's connection; no state of their own.

enum class LeaseState { acquired, held_by_other };

// SET NX PX: acquire the lease if nobody holds it.
JobResult<LeaseState> acquire_lease(redis::Connection& redis, std::string_view job_id,
                                    std::string_view owner, std::chrono::milliseconds ttl);

enum class LeaseRenewal {
  extended,  // still ours: its expiry moved
  retaken,   // the key was gone (Redis restarted empty, or it expired) and nobody
             // else had started the job: it is ours again
  lost,      // another worker holds it, or started a later attempt, or the job ended
};

// The heartbeat's call for a running job: extends the lease if `owner` holds
// it; if the key is gone, takes it again unless the stored record shows the
// job ended or a different attempt than `attempt` running. One script, so it
// cannot race with another worker acquiring the lease.
JobResult<LeaseRenewal> renew_lease(redis::Connection& redis, std::string_view job_id,
                                    std::string_view owner, std::chrono::milliseconds ttl,
                                    std::int64_t attempt);

// Deletes the lease if `owner` holds it.
JobResult<void> release_lease(redis::Connection& redis, std::string_view job_id,
                              std::string_view owner);

// The same for any key used as a lock held by one process at a time (the
// liveness sweep's): SET NX PX, or PEXPIRE when `owner` already holds it.
// True when `owner` holds the lock afterwards.
JobResult<bool> hold_lock(redis::Connection& redis, std::string_view key, std::string_view owner,
                          std::chrono::milliseconds ttl);
// Deletes the lock if `owner` holds it.
JobResult<void> release_lock(redis::Connection& redis, std::string_view key,
                             std::string_view owner);

}  // namespace headway::worker
