#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace headway::detail {

struct WriteRequest {
  std::string_view job_id;
  std::string_view record_json;
  std::int64_t seq = 0;
  std::string_view status;
  bool append_event = false;  // also XADD to progress:events
};

struct WriteOutcome {
  enum class Kind { written, stale, failed };
  Kind kind = Kind::failed;
  std::int64_t stored_seq = 0;  // for stale: the seq already stored
  bool cancel_requested = false;
  std::string error;  // for failed
  // For written: why the value stored before was no record of this job and
  // was overwritten (empty when it was one, or there was none).
  std::string replaced_invalid;
};

// Where a Tracker's records go: Redis in production (src/redis/redis_sink.hpp),
// memory in tests. The Tracker (src/tracker) uses it and the sinks implement
// it, so neither depends on the other. Called only from the Tracker's flusher
// thread.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Writes the record unless the stored one is a record of this job with a
  // seq >= request.seq (stale).
  virtual WriteOutcome write(const WriteRequest& request) = 0;
  // Whether progress:cancel:<id> exists; nullopt when the sink is unreachable.
  virtual std::optional<bool> cancel_requested(std::string_view job_id) = 0;
};

}  // namespace headway::detail
