#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "redis/connection.hpp"
#include "worker/job_error.hpp"

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

// Extends the lease if `owner` still holds it; false when it was lost (it
// expired and another worker may have taken it).
JobResult<bool> refresh_lease(redis::Connection& redis, std::string_view job_id,
                              std::string_view owner, std::chrono::milliseconds ttl);

// Deletes the lease if `owner` holds it.
JobResult<void> release_lease(redis::Connection& redis, std::string_view job_id,
                              std::string_view owner);

}  // namespace headway::worker
