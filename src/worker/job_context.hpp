#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "headway/tracker.hpp"

namespace headway::worker {

// A request from the worker to stop one running job early (shutdown grace
// passed, lease lost), with the reason that ends up in the record.
// Thread-safe: the worker requests from its threads, the job waits on it.
class StopSignal {
 public:
  // The first reason wins; later requests only wake waiters.
  void request(std::string reason);
  bool requested() const { return requested_.load(std::memory_order_acquire); }
  std::string reason() const;
  // Waits up to `timeout` for a request; returns requested().
  bool wait_for(std::chrono::nanoseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::atomic<bool> requested_{false};
  std::string reason_;
};

// How a job's code ended. `stopped` means it gave up because stop_requested()
// turned true; the runner turns that into `cancelled` or a failure naming the
// worker's reason.
struct JobOutcome {
  enum class Kind { completed, failed, stopped };
  Kind kind = Kind::completed;
  std::string error;

  static JobOutcome completed() { return {Kind::completed, {}}; }
  static JobOutcome failed(std::string error) { return {Kind::failed, std::move(error)}; }
  static JobOutcome stopped() { return {Kind::stopped, {}}; }
};

// What a running job sees: its Tracker (stages and progress go there), its
// validated parameters, and whether it should stop. The job returns its
// outcome; the runner makes the terminal call. Used by the job's own thread,
// except that stop_requested() may be called from any thread.
class JobContext {
 public:
  JobContext(Tracker& tracker, const boost::json::object& params, std::int64_t attempt,
             const StopSignal& stop)
      : tracker_(tracker), params_(params), attempt_(attempt), stop_(stop) {}

  Tracker& tracker() { return tracker_; }
  const std::string& job_id() const { return tracker_.job_id(); }
  const boost::json::object& params() const { return params_; }
  std::int64_t attempt() const { return attempt_; }

  // True once the job was cancelled (the Tracker saw progress:cancel:<id>) or
  // the worker asked it to stop. Jobs check it at least every 100 ms.
  bool stop_requested() const { return tracker_.cancel_requested() || stop_.requested(); }

  // Sleeps for `duration`, returning early (false) within ~50 ms of a stop request.
  bool sleep_for(std::chrono::duration<double> duration) const;

 private:
  Tracker& tracker_;
  const boost::json::object& params_;
  std::int64_t attempt_;
  const StopSignal& stop_;
};

}  // namespace headway::worker
