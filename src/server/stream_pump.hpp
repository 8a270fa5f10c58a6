#pragma once

#include <chrono>

#include "server/asio_types.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/stream_mailbox.hpp"

namespace headway::server {

// The loop shared by the SSE and WebSocket streams: take what the mailbox
// holds, write it (one write in flight), and keep an idle stream alive. It
// returns when the job ended (after `done`), the mailbox was closed, or a
// write failed. Runs on the stream's thread.
//
// A Transport provides awaitable<error_code> progress(const Update&),
// done(JobStatus), ping() and flush() (the rest of a direct write, see
// DirectWriter), and `static constexpr bool kSendsPings` (false when the
// transport keeps itself alive, as WebSocket ping frames do).
template <typename Transport>
awaitable<void> pump_stream(Transport& transport, StreamMailbox& mailbox, Metrics& metrics,
                            Duration ping_interval) {
  using Clock = StreamMailbox::Clock;
  using Kind = StreamMailbox::Next::Kind;
  for (;;) {
    auto next = mailbox.take();
    switch (next.kind) {
      case Kind::progress:
        if (co_await transport.progress(next.update))
          co_return;
        metrics.event_sent(EventType::progress);
        mailbox.note_write();
        break;
      case Kind::flush:
        if (co_await transport.flush())
          co_return;
        metrics.event_sent(EventType::progress);
        mailbox.note_write();
        break;
      case Kind::done:
        if (!co_await transport.done(next.final_status))
          metrics.event_sent(EventType::done);
        co_return;
      case Kind::closed:
        co_return;
      case Kind::wait:
        if constexpr (Transport::kSendsPings) {
          // Direct writes move last_write() without waking us, so the ping
          // deadline is checked again on waking rather than trusted.
          const auto ping_due = mailbox.last_write() + ping_interval;
          co_await mailbox.wait(ping_due);
          if (Clock::now() >= mailbox.last_write() + ping_interval) {
            if (co_await transport.ping())
              co_return;
            metrics.event_sent(EventType::ping);
            mailbox.note_write();
          }
        } else {
          co_await mailbox.wait(Clock::time_point::max());
        }
        break;
    }
  }
}

// Counts a stream in headway_streams_active for as long as it lives, however
// its coroutine ends (an exception included).
class ActiveStream {
 public:
  ActiveStream(Metrics& metrics, Transport transport) : metrics_(metrics), transport_(transport) {
    metrics_.stream_opened(transport_);
  }
  ~ActiveStream() { metrics_.stream_closed(transport_); }
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

 private:
  Metrics& metrics_;
  Transport transport_;
};

// Closes `socket` if a write does not finish within the timeout: a client
// that stops reading is dropped instead of holding the stream forever.
class WriteDeadline {
 public:
  WriteDeadline(asio::any_io_executor executor, Duration timeout)
      : timer_(std::move(executor)), timeout_(timeout) {}

  template <typename Socket>
  void arm(Socket& socket) {
    timer_.expires_after(timeout_);
    timer_.async_wait([this, &socket, generation = ++generation_](error_code ec) {
      if (ec || generation != generation_)
        return;
      expired_ = true;
      error_code ignored;
      socket.close(ignored);
    });
  }
  void disarm() { timer_.cancel(); }
  bool expired() const { return expired_; }

 private:
  asio::steady_timer timer_;
  Duration timeout_;
  unsigned generation_ = 0;
  bool expired_ = false;
};

}  // namespace headway::server
