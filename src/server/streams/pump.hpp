#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "server/asio_types.hpp"
#include "server/config.hpp"
#include "server/metrics/metrics.hpp"
#include "server/streams/fanout.hpp"
#include "server/streams/mailbox.hpp"
#include "server/streams/many_job_stream.hpp"

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

// The loop of a stream that carries several jobs (`jobs`, in the order the
// client named them): each visible job has its own mailbox, joined to the
// fan-out as a single-job stream's is, and every mailbox wakes `wake`. Each
// round takes from every job not yet ended, in turn, so a busy job cannot
// starve the others; the loop sleeps only after a round that found nothing
// anywhere (it wrote nothing, so no wake-up can have fallen between the last
// take() and the wait). A job's position moves to each seq sent, before the
// write, so the event carries the resume point that includes it. Returns when
// every job ended (after its `done`), a mailbox was closed, or a write failed.
//
// A Transport provides awaitable<error_code> progress(const Update&, const
// std::string& positions), done(const std::string& job_id, JobStatus),
// ping(), and `static constexpr bool kSendsPings`.
template <typename Transport>
awaitable<void> pump_job_streams(Transport& transport, std::vector<StreamedJob>& jobs,
                                 const std::vector<std::shared_ptr<StreamMailbox>>& mailboxes,
                                 asio::steady_timer& wake, Metrics& metrics,
                                 Duration ping_interval) {
  using Clock = StreamMailbox::Clock;
  using Kind = StreamMailbox::Next::Kind;
  std::vector<bool> ended(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i)
    ended[i] = mailboxes[i] == nullptr;
  auto last_write = Clock::now();
  for (;;) {
    bool wrote = false;
    bool all_ended = true;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (ended[i])
        continue;
      auto next = mailboxes[i]->take();
      switch (next.kind) {
        case Kind::progress:
          jobs[i].position = next.update.seq;
          if (co_await transport.progress(next.update, format_positions(jobs)))
            co_return;
          metrics.event_sent(EventType::progress);
          wrote = true;
          break;
        case Kind::done:
          if (co_await transport.done(jobs[i].id, next.final_status))
            co_return;
          metrics.event_sent(EventType::done);
          ended[i] = true;
          wrote = true;
          break;
        case Kind::closed:
          co_return;
        case Kind::flush:  // never: these mailboxes have no direct writer
        case Kind::wait:
          break;
      }
      all_ended = all_ended && ended[i];
    }
    if (all_ended)
      co_return;
    if (wrote) {
      last_write = Clock::now();
      continue;
    }
    if constexpr (Transport::kSendsPings) {
      wake.expires_at(last_write + ping_interval);
      co_await wake.async_wait(use_tuple);
      if (Clock::now() >= last_write + ping_interval) {
        if (co_await transport.ping())
          co_return;
        metrics.event_sent(EventType::ping);
        last_write = Clock::now();
      }
    } else {
      wake.expires_at(Clock::time_point::max());
      co_await wake.async_wait(use_tuple);
    }
  }
}

// The mailboxes of a many-job stream: one for each job the caller may see,
// all waking `wake`, and null for a job that gets only `not_found`.
inline std::vector<std::shared_ptr<StreamMailbox>> make_job_mailboxes(
    const asio::any_io_executor& executor, const std::vector<StreamedJob>& jobs, Metrics& metrics,
    const std::shared_ptr<asio::steady_timer>& wake) {
  std::vector<std::shared_ptr<StreamMailbox>> mailboxes;
  mailboxes.reserve(jobs.size());
  for (const auto& job : jobs) {
    mailboxes.push_back(job.visible
                            ? std::make_shared<StreamMailbox>(executor, job.position, metrics, wake)
                            : nullptr);
  }
  return mailboxes;
}

inline void close_job_mailboxes(const std::vector<std::shared_ptr<StreamMailbox>>& mailboxes) {
  for (const auto& mailbox : mailboxes)
    if (mailbox)
      mailbox->close();
}

// pump_job_streams with every mailbox joined to its job's fan-out topic for
// the time it runs.
template <typename Transport>
awaitable<void> stream_joined_jobs(Transport& transport, Fanout& fanout,
                                   std::vector<StreamedJob>& jobs,
                                   const std::vector<std::shared_ptr<StreamMailbox>>& mailboxes,
                                   asio::steady_timer& wake, Metrics& metrics,
                                   Duration ping_interval) {
  std::vector<std::shared_ptr<Fanout::Topic>> topics;
  topics.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i)
    topics.push_back(mailboxes[i] ? fanout.join(jobs[i].id, mailboxes[i]) : nullptr);
  co_await pump_job_streams(transport, jobs, mailboxes, wake, metrics, ping_interval);
  for (std::size_t i = 0; i < jobs.size(); ++i)
    if (topics[i])
      fanout.leave(topics[i], mailboxes[i]);
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
  WriteDeadline(const asio::any_io_executor& executor, Duration timeout)
      : timer_(executor), timeout_(timeout) {}

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
