#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "server/asio_types.hpp"
#include "server/update.hpp"

namespace headway::server {

class Metrics;

// What one stream has yet to send: at most the newest record, plus the fact
// that the job ended. Progress is state, so a record not yet taken by the
// stream is replaced by a newer one; a client that stops reading therefore
// costs one pending record, never a queue.
//
// Producers (pub/sub fan-out, snapshots, job-table fallback) call offer() from
// any thread. It accepts a record only if its seq is newer than any accepted
// before (the stream's de-duplication: seq strictly increases on the wire) and
// wakes the stream's coroutine. take() and wait() belong to the stream's strand.
//
// Thread-safe as described.
class StreamMailbox : public std::enable_shared_from_this<StreamMailbox> {
 public:
  // `last_sent_seq` is what the client already has (Last-Event-ID, or 0).
  StreamMailbox(asio::any_io_executor stream_executor, std::int64_t last_sent_seq,
                Metrics& metrics);

  // Returns whether the record was accepted. A terminal record ends the
  // stream after it; a terminal record that is not newer (the client resumed
  // after already receiving it) still ends the stream, with `done` alone.
  bool offer(const Update& update);
  // Asks the stream to end (server drain, fatal error). Any thread.
  void close();

  struct Next {
    enum class Kind { progress, done, closed, wait } kind = Kind::wait;
    Update update;             // for progress
    JobStatus final_status{};  // for done
  };
  // What the stream should do next. Returns Kind::wait when nothing is
  // pending; the caller must then call wait() before anything else can run
  // on its strand, so a wake-up is never missed.
  Next take();
  // Waits until offer()/close() is called or `deadline` passes.
  awaitable<void> wait(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::int64_t accepted_seq_;
  std::optional<Update> pending_;
  std::optional<JobStatus> final_status_;
  bool done_taken_ = false;
  bool closed_ = false;
  bool waiting_ = false;
  Metrics& metrics_;
  asio::any_io_executor executor_;
  asio::steady_timer wake_;
};

}  // namespace headway::server
