#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "core/record_sink.hpp"

namespace headway::test {

// A RecordSink that keeps what it is given, for unit tests of the Tracker's
// logic. It emulates the write script's seq check. Thread-safe.
class FakeSink final : public detail::RecordSink {
 public:
  struct Write {
    std::string json;
    std::int64_t seq;
    std::string status;
    bool append_event;
  };

  detail::WriteOutcome write(const detail::WriteRequest& request) override {
    std::lock_guard lock(mutex_);
    detail::WriteOutcome outcome;
    outcome.cancel_requested = cancel_;
    if (failing_) {
      outcome.error = "fake sink is failing";
      return outcome;
    }
    if (stored_seq_ >= request.seq) {
      outcome.kind = detail::WriteOutcome::Kind::stale;
      outcome.stored_seq = stored_seq_;
      return outcome;
    }
    stored_seq_ = request.seq;
    writes_.push_back({std::string(request.record_json), request.seq, std::string(request.status),
                       request.append_event});
    outcome.kind = detail::WriteOutcome::Kind::written;
    changed_.notify_all();
    return outcome;
  }

  std::optional<bool> cancel_requested(std::string_view) override {
    std::lock_guard lock(mutex_);
    if (failing_)
      return std::nullopt;
    return cancel_;
  }

  void set_failing(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  void set_cancel(bool cancel) {
    std::lock_guard lock(mutex_);
    cancel_ = cancel;
  }
  void set_stored_seq(std::int64_t seq) {
    std::lock_guard lock(mutex_);
    stored_seq_ = seq;
  }
  std::vector<Write> writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Write> writes_;
  std::int64_t stored_seq_ = 0;
  bool failing_ = false;
  bool cancel_ = false;
};

}  // namespace headway::test
