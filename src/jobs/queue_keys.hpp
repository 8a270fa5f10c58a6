#pragma once

#include <string>
#include <string_view>

#include "redis/keys.hpp"

// The Redis names the job queue adds to those of docs/protocol.md section 2
// (documented in docs/worker.md). jobs:queue itself is redis::keys::kJobsQueue.
namespace headway::worker::keys {

// The consumer group every `headway worker` reads jobs:queue through.
inline constexpr std::string_view kWorkersGroup = "workers";
// jobs:lease:<id>: which worker runs the job now (its consumer name), with an
// expiry the running worker keeps extending.
inline constexpr std::string_view kLeasePrefix = "jobs:lease:";
// jobs:attempt:<id>: how many runs of the job have started (INCR on each).
inline constexpr std::string_view kAttemptPrefix = "jobs:attempt:";

inline std::string lease(std::string_view job_id) {
  return std::string(kLeasePrefix) + std::string(job_id);
}
inline std::string attempt(std::string_view job_id) {
  return std::string(kAttemptPrefix) + std::string(job_id);
}

}  // namespace headway::worker::keys
