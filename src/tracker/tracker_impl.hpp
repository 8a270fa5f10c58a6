#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/progress_record.hpp"
#include "core/record_sink.hpp"
#include "headway/eta.hpp"
#include "headway/tracker.hpp"

namespace headway::detail {

// The Tracker's state machine and flusher thread; see the Tracker class comment.
class TrackerImpl {
 public:
  TrackerImpl(std::unique_ptr<RecordSink> sink, std::string job_id, StagePlan plan,
              TrackerOptions options);
  ~TrackerImpl();

  Result start_stage(std::string_view name);
  Result update_stage_progress(std::int64_t completed, std::int64_t total);
  Result complete_stage();
  Result update(const ProgressUpdate& update);
  Result finish(JobStatus status, std::string_view error);
  Result flush(std::chrono::milliseconds timeout);
  bool cancel_requested() const noexcept { return cancel_.load(std::memory_order_relaxed); }
  const std::string& job_id() const { return job_id_; }
  TrackerStats stats() const;

 private:
  // What the caller has reported; everything a record is built from.
  struct State {
    JobStatus status = JobStatus::initializing;
    std::optional<std::size_t> stage;
    double stage_progress = 0;
    // complete_stage() was called for the current stage.
    bool stage_completed = false;
    double overall = 0;
    std::optional<std::int64_t> completed_items;
    std::optional<std::int64_t> total_items;
    Metadata metadata;
    std::string error;
    double last_updated = 0;
  };
  // The record's ETA fields: the estimate and its 80 % range, each rounded to
  // 0.1 s, or nullopt when unknown.
  struct EtaFields {
    std::optional<double> eta;
    std::optional<EtaRange> range;
  };
  // A write that must not be coalesced away (stage boundary, terminal, flush).
  struct Boundary {
    State state;
    EtaFields eta;
    bool append_event = false;
    std::uint64_t ticket = 0;
  };
  Result check_active(std::string_view operation) const;
  Result enter_stage(std::size_t index);
  void touch();
  std::uint64_t push_boundary(bool append_event);
  EtaFields eta_for(const State& state, double now) const;
  void run_flusher();
  bool write(const State& state, const EtaFields& eta, bool append_event);
  std::string build_record(const State& state, const EtaFields& eta, std::int64_t seq) const;
  // Counts and reports an invalid stored value the last write overwrote.
  void warn_replaced(std::string_view why);

  const std::string job_id_;
  const StagePlan plan_;
  const TrackerOptions options_;
  const std::shared_ptr<Clock> clock_;
  const std::unique_ptr<RecordSink> sink_;
  const double started_at_;
  const double write_interval_;  // seconds between coalesced writes

  mutable std::mutex mutex_;
  std::condition_variable flusher_wake_;
  std::condition_variable acked_;
  State state_;
  std::unique_ptr<EtaEstimator> eta_;
  bool dirty_ = false;
  std::deque<Boundary> boundaries_;
  std::uint64_t last_ticket_ = 0;
  std::uint64_t acked_ticket_ = 0;
  bool stopping_ = false;
  // The destructor gave up waiting for what is left: the flusher stops.
  bool abandoned_ = false;
  std::string last_error_;
  std::uint64_t updates_ = 0;

  // Touched only by the flusher thread.
  std::int64_t seq_ = 0;

  std::atomic<bool> cancel_{false};
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> failed_writes_{0};
  std::atomic<std::uint64_t> replaced_invalid_{0};
  std::thread flusher_;
};

}  // namespace headway::detail
