#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "headway/clock.hpp"
#include "headway/eta.hpp"
#include "headway/redis_config.hpp"
#include "headway/stage_plan.hpp"

namespace headway {

// The outcome of a Tracker call: ok, or an error message saying what was wrong.
class Result {
 public:
  static Result success() { return Result(); }
  static Result failure(std::string message) {
    Result result;
    result.error_ = std::move(message);
    result.ok_ = false;
    return result;
  }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  bool ok_ = true;
  std::string error_;
};

// A free-form metadata value carried to clients unchanged.
using MetadataValue = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string>;
using Metadata = std::map<std::string, MetadataValue, std::less<>>;

// The general form of a progress update; every field is optional.
struct ProgressUpdate {
  // Starts this stage first unless it is the current one.
  std::optional<std::string> stage;
  // Percent of the current stage done (0-100); overall follows from the plan.
  std::optional<double> stage_progress;
  // An explicit overall percent; it still never decreases.
  std::optional<double> overall_progress;
  std::optional<std::int64_t> completed_items;
  std::optional<std::int64_t> total_items;
  // Merged into the record's metadata (completed_items, total_items and error
  // are the Tracker's own keys and cannot be set here).
  Metadata metadata;
};

struct TrackerOptions {
  // Expiry of progress:job:<id> and of the cancel key it watches.
  std::chrono::seconds ttl{7200};
  // Upper bound on coalesced writes per second; stage boundaries and terminal
  // states are always written on top of these.
  double max_writes_per_second = 10;
  // How long mark_completed/failed/cancelled (and the destructor) wait for
  // Redis to acknowledge the last write.
  std::chrono::milliseconds terminal_timeout{10000};
  // How often the flusher looks for progress:cancel:<id> while nothing is
  // written. More than 0 and at most 1 s, so a cancel request is seen within a
  // second; other values make the constructor throw.
  std::chrono::milliseconds cancel_poll_interval{500};
  // 1 for the first run of a job; a worker re-running it passes attempts + 1.
  std::int64_t attempt = 1;
  // Approximate cap of the progress:events stream.
  std::size_t events_max_len = 100000;
  // Null: the system clock.
  std::shared_ptr<Clock> clock;
  // Empty: the default estimator (see eta.hpp for names).
  std::string eta_estimator;
  // What earlier runs of the same job took (EtaHistory::from_stage_durations
  // or from_runs), given to the estimator before the first report: a prior
  // for the stages still to come, trusted while this run keeps looking like
  // those (docs/eta.md). Empty, or no runs: the estimate is the run's own.
  std::optional<EtaHistory> eta_history;
  // Called on the flusher thread with each record Redis acknowledged.
  std::function<void(std::string_view record_json)> on_write;
  // Called on the flusher thread with a warning worth logging: the value
  // stored for the job was no record of it (another job's, a seq that is not
  // an integer from 0 to 2^53-1, not JSON) and was overwritten. Empty: the
  // warning goes to stderr.
  std::function<void(std::string_view message)> on_warning;
};

struct TrackerStats {
  std::uint64_t updates = 0;        // calls that changed the state
  std::uint64_t writes = 0;         // records Redis acknowledged
  std::uint64_t failed_writes = 0;  // attempts that failed (Redis down, timeout)
  std::uint64_t replaced_invalid =
      0;  // writes that overwrote a value that was no record of the job
};

class MemorySink;
namespace detail {
class TrackerImpl;
}  // namespace detail

// Reports one job's progress to Redis (docs/protocol.md sections 1-3).
//
// Update calls record the new state under a short lock and return without
// waiting for Redis; a background flusher thread writes the newest state at
// most max_writes_per_second times a second, and writes every stage start,
// stage completion and terminal state in order. The terminal calls
// (mark_completed/failed/cancelled) wait until Redis acknowledged the write or
// terminal_timeout passed. While Redis is down the job keeps running; the
// flusher reconnects with backoff and writes the newest state when it returns.
//
// Thread-safe: any thread may call any method. Errors (an unknown stage, going
// back a stage, completing a stage twice, an update after a terminal state) are
// returned as a Result and leave the record untouched; nothing throws after
// construction.
class HEADWAY_API Tracker {
 public:
  // Creates the record in state `initializing`. Throws std::invalid_argument
  // for a job id that is not a UUID, a Redis URL that cannot be parsed, an
  // unknown ETA estimator name or a cancel_poll_interval outside (0, 1 s];
  // does not wait for Redis.
  Tracker(const RedisConfig& redis, std::string job_id, StagePlan plan = StagePlan::reference(),
          TrackerOptions options = {});
  // Writes to `sink` instead of Redis (memory_sink.hpp), for unit tests of
  // code that uses a Tracker. Throws as the constructor above, except that
  // there is no URL.
  Tracker(MemorySink& sink, std::string job_id, StagePlan plan = StagePlan::reference(),
          TrackerOptions options = {});
  // Flushes what was not yet written (waiting at most terminal_timeout).
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  Result start_stage(std::string_view name);
  // Maps completed/total into the current stage's range of the plan.
  Result update_stage_progress(std::int64_t completed, std::int64_t total);
  // Sets the current stage to 100 % and writes it as a boundary; a second call
  // for the same stage is reported and writes nothing.
  Result complete_stage();
  Result update(const ProgressUpdate& update);

  Result mark_completed();
  Result mark_failed(std::string_view message);
  Result mark_cancelled();

  // True once progress:cancel:<id> was seen; reads a flag, never Redis.
  bool cancel_requested() const noexcept;

  // Waits until the current state is written (or the timeout passes).
  Result flush(std::chrono::milliseconds timeout);

  const std::string& job_id() const;
  TrackerStats stats() const;

 private:
  std::unique_ptr<detail::TrackerImpl> impl_;
};

}  // namespace headway
