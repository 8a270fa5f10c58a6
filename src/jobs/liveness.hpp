#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "jobs/job_error.hpp"
#include "jobs/record_writer.hpp"
#include "redis/connection.hpp"
#include "redis/redis_url.hpp"
#include "store/job_store.hpp"

namespace headway::worker {

// The Redis key of the lock that lets one process at a time sweep.
inline constexpr std::string_view kLivenessSweepLock = "jobs:liveness-sweep";

struct LivenessOptions {
  // A queued or running job of a worker type with no lease, no live queue
  // entry (one not yet delivered, or delivered and touched within this
  // time) and no new record for this long has no run: it is re-queued.
  std::chrono::milliseconds lost_after{30000};
  // An `external` job whose program wrote no record for this long fails.
  std::chrono::milliseconds external_timeout{600000};
  RecordOptions records{};
};

// What one sweep did.
struct SweepReport {
  int checked = 0;    // unfinished jobs looked at
  int requeued = 0;   // lost runs queued again
  int cancelled = 0;  // lost runs with a cancel request, ended cancelled
  int failed = 0;     // silent external jobs
  int folded = 0;     // terminal records the table had missed
};

// The job table says which jobs exist; this finds the unfinished ones that
// nothing will ever move on and settles them (docs/worker.md, "Liveness"):
// a job is lost only after it showed no sign of life in every sweep over
// `lost_after` (or `external_timeout`), as observed by this object on the
// steady clock (no comparison of clocks between machines). Then it is
// re-queued, ended `cancelled` (a cancel was requested) or, for an external
// job, ended `failed`; each change writes a record with the next seq, so
// every stream sees it, and changes the row conditionally, so a worker that
// finished the job meanwhile wins.
//
// Not thread-safe: one thread calls sweep(). Only one process should sweep at
// a time (LivenessSweeper holds a lock for that); two at once could at worst
// queue a job twice, which the lease makes harmless.
class LivenessSweep {
 public:
  LivenessSweep(store::JobStore& store, LivenessOptions options);

  // One pass over every unfinished job. `now` is the steady clock's (tests
  // pass their own to step through time).
  JobResult<SweepReport> sweep(redis::Connection& redis, std::chrono::steady_clock::time_point now);

  // Forgets what earlier sweeps saw (another process sweeps now).
  void forget() { suspects_.clear(); }

 private:
  // A job that showed no sign of life: since when, and the record seq then.
  struct Suspect {
    std::chrono::steady_clock::time_point since;
    std::int64_t seq = 0;
  };
  struct Settle;

  store::JobStore& store_;
  LivenessOptions options_;
  std::unordered_map<std::string, Suspect> suspects_;
};

// Runs a LivenessSweep every `interval` on its own thread, in the process
// that holds kLivenessSweepLock (SET NX PX, renewed each round), so that
// several servers can all run one and only one sweeps. Reconnects to Redis
// by itself. Thread-safe: start() and stop() from the owner's thread.
class LivenessSweeper {
 public:
  LivenessSweeper(redis::Endpoint endpoint, store::JobStore& store, LivenessOptions options);
  ~LivenessSweeper();
  LivenessSweeper(const LivenessSweeper&) = delete;
  LivenessSweeper& operator=(const LivenessSweeper&) = delete;

  void start();
  // Returns within one Redis command timeout; releases the lock.
  void stop();

  // A quarter of the shorter timeout, between 100 ms and 10 s.
  static std::chrono::milliseconds interval_for(const LivenessOptions& options);

 private:
  void run();

  redis::Endpoint endpoint_;
  LivenessSweep sweep_;
  std::chrono::milliseconds interval_;
  std::string owner_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// <host>-<pid>-<random>: a name for this process as a consumer or lock owner.
std::string unique_process_name();

}  // namespace headway::worker
