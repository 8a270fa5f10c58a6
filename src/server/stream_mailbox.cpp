#include "server/stream_mailbox.hpp"

#include "server/metrics.hpp"

namespace headway::server {

StreamMailbox::StreamMailbox(asio::any_io_executor stream_executor, std::int64_t last_sent_seq,
                             Metrics& metrics)
    : accepted_seq_(last_sent_seq),
      metrics_(metrics),
      executor_(stream_executor),
      wake_(stream_executor) {}

bool StreamMailbox::offer(const Update& update) {
  bool notify = false;
  bool accepted = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || final_status_)
      return false;
    if (update.seq > accepted_seq_) {
      accepted_seq_ = update.seq;
      if (pending_)
        metrics_.coalesced().Increment();
      pending_ = update;
      accepted = true;
    }
    if (update.terminal())
      final_status_ = update.status;
    if (accepted || final_status_) {
      notify = waiting_;
      waiting_ = false;
    }
  }
  // The timer belongs to the stream's strand; cancel it there.
  if (notify)
    asio::post(executor_, [self = shared_from_this()] { self->wake_.cancel(); });
  return accepted;
}

void StreamMailbox::close() {
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    notify = waiting_;
    waiting_ = false;
  }
  if (notify)
    asio::post(executor_, [self = shared_from_this()] { self->wake_.cancel(); });
}

StreamMailbox::Next StreamMailbox::take() {
  std::lock_guard lock(mutex_);
  Next next;
  if (closed_) {
    next.kind = Next::Kind::closed;
  } else if (pending_) {
    next.kind = Next::Kind::progress;
    next.update = std::move(*pending_);
    pending_.reset();
  } else if (final_status_ && !done_taken_) {
    done_taken_ = true;
    next.kind = Next::Kind::done;
    next.final_status = *final_status_;
  } else if (final_status_) {
    next.kind = Next::Kind::closed;
  } else {
    waiting_ = true;
  }
  return next;
}

awaitable<void> StreamMailbox::wait(std::chrono::steady_clock::time_point deadline) {
  wake_.expires_at(deadline);
  co_await wake_.async_wait(use_tuple);
  std::lock_guard lock(mutex_);
  waiting_ = false;
}

}  // namespace headway::server
