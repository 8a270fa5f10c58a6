#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "headway/export.hpp"

namespace headway {

namespace detail {
struct MemorySinkAccess;
struct MemorySinkState;
}  // namespace detail

// Stands in for Redis under a Tracker, so that code reporting progress can be
// unit-tested without a Redis server: construct the Tracker with it (see
// tracker.hpp) and read back what the Tracker wrote. It answers as Redis with
// headway's write script does (docs/protocol.md section 3): a record whose seq
// is not newer than the stored one is refused, and the Tracker continues from
// the stored seq.
//
// Thread-safe: the Tracker writes from its flusher thread while the test reads.
// A Tracker keeps what it needs of the sink alive, so the two may be
// destroyed in either order.
class HEADWAY_API MemorySink {
 public:
  // One record as the Tracker wrote it.
  struct Record {
    std::string json;  // the progress record (docs/protocol.md section 1)
    std::int64_t seq = 0;
    std::string status;
    // A stage start or completion, or a terminal state: Redis would also get
    // it on the progress:events stream.
    bool boundary = false;
  };

  MemorySink();
  ~MemorySink();
  MemorySink(const MemorySink&) = delete;
  MemorySink& operator=(const MemorySink&) = delete;

  // Every record written, oldest first.
  std::vector<Record> records() const;
  // How many writes the Tracker has tried: written, refused as stale, or
  // failed while unreachable.
  std::size_t attempts() const;
  // Waits until the Tracker has tried `count` writes in all; false if
  // `timeout` passed first. Lets a test await the flusher instead of sleeping.
  bool wait_for_attempts(std::size_t count, std::chrono::milliseconds timeout) const;

  // Requests cancellation, as `DELETE /api/generation-jobs/<id>/cancel/`
  // does: the Tracker's cancel_requested() turns true with its next write, or
  // within its cancel_poll_interval while nothing is written.
  void request_cancel();
  // While unreachable, every write fails as it does while Redis is down: the
  // Tracker keeps the newest state and retries with backoff, and terminal
  // calls return an error after terminal_timeout.
  void set_reachable(bool reachable);
  // As if another writer (the server's `queued` record, an earlier attempt)
  // had stored a record with `seq`.
  void set_stored_seq(std::int64_t seq);

 private:
  friend struct detail::MemorySinkAccess;
  std::shared_ptr<detail::MemorySinkState> state_;
};

}  // namespace headway
