#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/progress_record.hpp"
#include "jobs/job_error.hpp"
#include "redis/connection.hpp"

namespace headway::worker {

// How records written outside a Tracker are stored (the Tracker's defaults).
struct RecordOptions {
  std::chrono::seconds ttl{7200};
  std::size_t events_max_len = 100000;
};

// Writes `record` with the Tracker's atomic script (src/redis/scripts/
// write_record.lua: SET with TTL + PUBLISH + XADD progress:events), always
// appending to progress:events since every record written here is a status
// change. When the stored record's seq is not older, the write continues from
// it (as the Tracker does); a stored value that is no record of this job is
// overwritten, with a warning logged. Returns the seq written.
JobResult<std::int64_t> write_record(redis::Connection& redis, ProgressRecord record,
                                     const RecordOptions& options);

// One round of write_record: `written` is false when the stored record is
// not older (someone else wrote meanwhile; `stored_seq` is its seq). For
// changes that are right only while nothing was written since the caller looked.
struct RecordWrite {
  bool written = false;
  std::int64_t stored_seq = 0;
};
JobResult<RecordWrite> write_record_if_newer(redis::Connection& redis, const ProgressRecord& record,
                                             const RecordOptions& options);

// Reads progress:job:<id>; nullopt when missing or not a record of this job.
JobResult<std::optional<ProgressRecord>> read_record(redis::Connection& redis,
                                                     std::string_view job_id);

// Ends a job that no Tracker will finish (cancelled while queued, worker
// lost): writes the stored record (or `fallback` when there is none) again
// with `status`, metadata.error set for a failure, and the next seq. Returns
// the seq written.
JobResult<std::int64_t> write_final_record(redis::Connection& redis, const ProgressRecord& fallback,
                                           JobStatus status, std::string_view error,
                                           const RecordOptions& options);

// `base` turned into the record that ends the job as `status`: eta 0,
// metadata.error set for a failure, written at `now`. The seq is left alone.
ProgressRecord final_record(ProgressRecord base, JobStatus status, std::string_view error,
                            double now);

// A connection-level or error reply turned into a JobError (`what` says which step).
JobError redis_error(std::string_view what, const redis::CommandResult& result);

}  // namespace headway::worker
