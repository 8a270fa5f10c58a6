#include "headway/memory_sink.hpp"

#include <condition_variable>
#include <mutex>

#include "tracker/memory_sink_access.hpp"

namespace headway {

namespace detail {

struct MemorySinkState {
  mutable std::mutex mutex;
  mutable std::condition_variable attempted;
  std::size_t attempts = 0;
  std::vector<MemorySink::Record> records;
  std::int64_t stored_seq = 0;
  bool reachable = true;
  bool cancel = false;
};

}  // namespace detail

MemorySink::MemorySink() : state_(std::make_shared<detail::MemorySinkState>()) {}
MemorySink::~MemorySink() = default;

std::vector<MemorySink::Record> MemorySink::records() const {
  std::lock_guard lock(state_->mutex);
  return state_->records;
}

std::size_t MemorySink::attempts() const {
  std::lock_guard lock(state_->mutex);
  return state_->attempts;
}

bool MemorySink::wait_for_attempts(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->attempted.wait_for(lock, timeout, [&] { return state_->attempts >= count; });
}

void MemorySink::request_cancel() {
  std::lock_guard lock(state_->mutex);
  state_->cancel = true;
}

void MemorySink::set_reachable(bool reachable) {
  std::lock_guard lock(state_->mutex);
  state_->reachable = reachable;
}

void MemorySink::set_stored_seq(std::int64_t seq) {
  std::lock_guard lock(state_->mutex);
  state_->stored_seq = seq;
}

namespace detail {
namespace {

// The Tracker's side of a MemorySink: the write script's seq check, in memory.
class MemoryRecordSink final : public RecordSink {
 public:
  explicit MemoryRecordSink(std::shared_ptr<MemorySinkState> state) : state_(std::move(state)) {}

  WriteOutcome write(const WriteRequest& request) override {
    std::lock_guard lock(state_->mutex);
    ++state_->attempts;
    state_->attempted.notify_all();
    WriteOutcome outcome;
    if (!state_->reachable) {
      outcome.error = "the memory sink is unreachable (set_reachable(false))";
      return outcome;
    }
    outcome.cancel_requested = state_->cancel;
    if (state_->stored_seq >= request.seq) {
      outcome.kind = WriteOutcome::Kind::stale;
      outcome.stored_seq = state_->stored_seq;
      return outcome;
    }
    state_->stored_seq = request.seq;
    state_->records.push_back({std::string(request.record_json), request.seq,
                               std::string(request.status), request.append_event});
    outcome.kind = WriteOutcome::Kind::written;
    return outcome;
  }

  std::optional<bool> cancel_requested(std::string_view) override {
    std::lock_guard lock(state_->mutex);
    if (!state_->reachable)
      return std::nullopt;
    return state_->cancel;
  }

 private:
  std::shared_ptr<MemorySinkState> state_;
};

}  // namespace

std::unique_ptr<RecordSink> MemorySinkAccess::record_sink(const MemorySink& sink) {
  return std::make_unique<MemoryRecordSink>(sink.state_);
}

}  // namespace detail
}  // namespace headway
