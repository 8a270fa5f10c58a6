#include "server/streams/mailbox.hpp"

#include "server/metrics/metrics.hpp"

namespace headway::server {

StreamMailbox::StreamMailbox(const asio::any_io_executor& stream_executor,
                             std::int64_t last_sent_seq, Metrics& metrics)
    : accepted_seq_(last_sent_seq),
      metrics_(metrics),
      executor_(stream_executor),
      wake_(stream_executor) {}

StreamMailbox::StreamMailbox(const asio::any_io_executor& stream_executor,
                             std::int64_t last_sent_seq, Metrics& metrics,
                             std::shared_ptr<asio::steady_timer> shared_wake)
    : StreamMailbox(stream_executor, last_sent_seq, metrics) {
  shared_wake_ = std::move(shared_wake);
}

bool StreamMailbox::offer(const Update& update) {
  bool notify = false;
  bool accepted = false;
  bool direct = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || final_status_)
      return false;
    if (update.seq > accepted_seq_) {
      accepted_seq_ = update.seq;
      accepted = true;
      // A terminal record goes through the coroutine, which follows it with `done`.
      direct = waiting_ && writer_ != nullptr && !pending_ && !update.terminal() &&
               runs_in_this_thread(executor_);
      if (!direct) {
        if (pending_)
          metrics_.coalesced().Increment();
        pending_ = update;
      }
    }
    if (update.terminal())
      final_status_ = update.status;
    if (!direct && (accepted || final_status_)) {
      notify = waiting_;
      waiting_ = false;
    }
  }
  if (direct)
    notify = write_directly(update);
  if (notify)
    wake();
  return accepted;
}

// On the stream's thread, with its coroutine parked in wait() and no write in
// flight, so this write cannot interleave with another. Returns whether the
// coroutine must wake (to flush the rest, or to end the stream).
bool StreamMailbox::write_directly(const Update& update) {
  const auto result = writer_->write_now(update);
  if (result == DirectWriter::Result::written) {
    note_write();
    metrics_.event_sent(EventType::progress);
    return false;
  }
  std::lock_guard lock(mutex_);
  if (result == DirectWriter::Result::unfinished)
    unfinished_ = true;
  else
    closed_ = true;
  const bool notify = waiting_;
  waiting_ = false;
  return notify;
}

void StreamMailbox::set_direct_writer(DirectWriter* writer) {
  std::lock_guard lock(mutex_);
  writer_ = writer;
}

// The timer belongs to the stream's thread: touched directly from there (the
// fan-out hands records over to each thread), posted there from elsewhere.
void StreamMailbox::wake() {
  if (runs_in_this_thread(executor_))
    wake_timer().cancel();
  else
    asio::post(executor_, [self = shared_from_this()] { self->wake_timer().cancel(); });
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
    wake();
}

StreamMailbox::Next StreamMailbox::take() {
  std::lock_guard lock(mutex_);
  waiting_ = false;  // the stream is awake, whatever woke it
  Next next;
  if (closed_) {
    next.kind = Next::Kind::closed;
  } else if (unfinished_) {
    unfinished_ = false;
    next.kind = Next::Kind::flush;
  } else if (pending_) {
    next.kind = Next::Kind::progress;
    next.update = std::move(*pending_);
    pending_.reset();
  } else if (final_status_) {
    // `done` once, then the stream is over.
    if (done_taken_) {
      next.kind = Next::Kind::closed;
    } else {
      done_taken_ = true;
      next.kind = Next::Kind::done;
      next.final_status = *final_status_;
    }
  } else {
    waiting_ = true;
  }
  return next;
}

}  // namespace headway::server
