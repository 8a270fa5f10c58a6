#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "server/asio_types.hpp"
#include "server/streams/rendered_update.hpp"

namespace headway::server {

class Metrics;

// Whether the calling thread runs `executor`'s io_context (false for any other
// kind of executor), i.e. whether its handlers may be touched directly.
inline bool runs_in_this_thread(const asio::any_io_executor& executor) {
  const auto* io = executor.target<asio::io_context::executor_type>();
  return io != nullptr && io->running_in_this_thread();
}

// A transport that can put a record on the wire at once, from inside offer(),
// when its stream is idle: the common case then costs one write call, with no
// wake-up of the stream's coroutine. Called on the stream's thread only.
class DirectWriter {
 public:
  enum class Result {
    written,     // all of it
    unfinished,  // the kernel took only part; the stream must flush the rest
    failed,      // the connection is gone
  };
  virtual Result write_now(const Update& update) = 0;

 protected:
  ~DirectWriter() = default;
};

// What one stream has yet to send: at most the newest record, plus the fact
// that the job ended. Progress is state, so a record not yet taken by the
// stream is replaced by a newer one; a client that stops reading therefore
// costs one pending record, never a queue.
//
// Producers (pub/sub fan-out, snapshots, job-table fallback) call offer() from
// any thread. It accepts a record only if its seq is newer than any accepted
// before (the stream's de-duplication: seq strictly increases on the wire) and
// wakes the stream's coroutine, or, when called on the stream's own thread
// while the stream idles with nothing in flight, writes the record itself
// through the DirectWriter. take(), wait() and the rest belong to the stream's
// thread.
//
// Thread-safe as described.
class StreamMailbox : public std::enable_shared_from_this<StreamMailbox> {
 public:
  using Clock = std::chrono::steady_clock;

  // `last_sent_seq` is what the client already has (Last-Event-ID, or 0).
  StreamMailbox(const asio::any_io_executor& stream_executor, std::int64_t last_sent_seq,
                Metrics& metrics);
  // A mailbox of a connection that streams several jobs: offer() and close()
  // wake `shared_wake`, the one timer that connection waits on for all its
  // jobs (it then calls take() on each), instead of this mailbox's own.
  StreamMailbox(const asio::any_io_executor& stream_executor, std::int64_t last_sent_seq,
                Metrics& metrics, std::shared_ptr<asio::steady_timer> shared_wake);

  // Returns whether the record was accepted. A terminal record ends the
  // stream after it; a terminal record that is not newer (the client resumed
  // after already receiving it) still ends the stream, with `done` alone.
  bool offer(const Update& update);
  // Asks the stream to end (server drain, fatal error). Any thread.
  void close();

  // Lets offer() write idle-time records directly (null: never). The writer
  // must stay alive until this is called again with null.
  void set_direct_writer(DirectWriter* writer);

  struct Next {
    enum class Kind { progress, done, flush, closed, wait } kind = Kind::wait;
    Update update;             // for progress
    JobStatus final_status{};  // for done
  };
  // What the stream should do next: `flush` finishes a direct write the
  // kernel took only part of, before anything else. Returns Kind::wait when
  // nothing is pending; the caller must then call wait() before anything else
  // can run on its thread, so a wake-up is never missed.
  Next take();
  // Waits until offer()/close() needs the stream, or `deadline` passes. Not
  // a coroutine, so an idle stream holds the timer's wait and no frame.
  auto wait(Clock::time_point deadline) {
    wake_.expires_at(deadline);
    return wake_.async_wait(use_tuple);
  }

  // When the stream last wrote (the ping interval counts from there).
  Clock::time_point last_write() const { return last_write_; }
  void note_write() { last_write_ = Clock::now(); }

  const asio::any_io_executor& executor() const { return executor_; }

 private:
  std::mutex mutex_;
  std::int64_t accepted_seq_;
  std::optional<Update> pending_;
  std::optional<JobStatus> final_status_;
  bool done_taken_ = false;
  bool closed_ = false;
  bool waiting_ = false;
  bool unfinished_ = false;  // a direct write awaits its flush
  DirectWriter* writer_ = nullptr;
  Clock::time_point last_write_ = Clock::now();
  Metrics& metrics_;
  asio::any_io_executor executor_;
  asio::steady_timer wake_;
  std::shared_ptr<asio::steady_timer> shared_wake_;

  asio::steady_timer& wake_timer() { return shared_wake_ ? *shared_wake_ : wake_; }
  void wake();
  bool write_directly(const Update& update);
};

}  // namespace headway::server
