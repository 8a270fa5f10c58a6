#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job_error.hpp"
#include "redis/connection.hpp"

namespace headway::worker {

// One entry of jobs:queue.
struct QueueEntry {
  std::string entry_id;  // the stream entry id, for XACK
  std::string job_id;
  std::string type;
};

// The consumer-group side of jobs:queue, as free functions over a caller's
// connection. The group is created at id 0 (not $) so that jobs enqueued
// before the first worker ever started are delivered too.
JobResult<void> ensure_consumer_group(redis::Connection& redis);

// XREADGROUP ... COUNT n BLOCK ms STREAMS jobs:queue >: new entries for `consumer`.
JobResult<std::vector<QueueEntry>> read_new_entries(redis::Connection& redis,
                                                    std::string_view consumer, int count,
                                                    std::chrono::milliseconds block);

// XAUTOCLAIM: entries pending for longer than `min_idle` (their worker died
// or stopped heartbeating) move to `consumer`. `cursor` is where to continue
// and is updated ("0-0" starts over).
JobResult<std::vector<QueueEntry>> claim_idle_entries(redis::Connection& redis,
                                                      std::string_view consumer,
                                                      std::chrono::milliseconds min_idle, int count,
                                                      std::string& cursor);

// XCLAIM ... JUSTID with idle 0: keeps a running job's entry from looking
// abandoned (and takes it back if another worker claimed it meanwhile).
JobResult<void> touch_entry(redis::Connection& redis, std::string_view consumer,
                            std::string_view entry_id);

// XACK then XDEL: the job reached a terminal state; the entry is not needed
// again, and deleting it keeps jobs:queue from growing without bound.
JobResult<void> finish_entry(redis::Connection& redis, std::string_view entry_id);

// XADD jobs:queue * job_id <id> type <type>: queues a job for the workers.
JobResult<void> add_queue_entry(redis::Connection& redis, std::string_view job_id,
                                std::string_view type);

// An entry of jobs:queue as the liveness sweep sees it: delivered to a worker
// and not acknowledged (pending), and for how long nobody touched it.
struct QueuedEntry {
  std::string entry_id;
  bool pending = false;
  std::chrono::milliseconds idle{0};
};

// Every entry of jobs:queue by job id (read in pages of `page` entries), with
// its pending state from XPENDING. A stream or group that does not exist
// (Redis restarted empty) has no entries.
JobResult<std::vector<std::pair<std::string, QueuedEntry>>> list_queue(redis::Connection& redis,
                                                                       int page = 1000);

// Removes the group's consumers that hold no pending entry and have not read
// for longer than `min_idle`: workers that stopped or died. Without this every
// worker process ever started would stay listed in the group. One script, so a
// consumer cannot be handed an entry between the check and its removal (which
// would drop the entry from the pending list). A non-empty `only` limits it to
// that consumer. Returns the names removed.
JobResult<std::vector<std::string>> remove_idle_consumers(redis::Connection& redis,
                                                          std::chrono::milliseconds min_idle,
                                                          std::string_view only = {});

}  // namespace headway::worker
