#include "tracker/tracker_impl.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace headway::detail {
namespace {

// Seconds between attempts while writes fail, doubling from the first to the last.
constexpr double kFirstRetryDelay = 0.05;
constexpr double kMaxRetryDelay = 1.0;
// A cancel request is seen within 1 s even while the job is silent
// (docs/protocol.md section 2, progress:cancel:<id>).
constexpr auto kMaxCancelPollInterval = std::chrono::milliseconds(1000);

std::string status_error(std::string_view operation, JobStatus status) {
  return std::string(operation) + ": the job is already " + std::string(to_string(status)) +
         "; the record is final";
}

void append_metadata_value(std::string& out, const MetadataValue& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          out += "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out += std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          append_json_number(out, v);
        } else {
          append_json_string(out, v);
        }
      },
      value);
}

bool is_reserved_metadata_key(std::string_view key) {
  return key == "completed_items" || key == "total_items" || key == "error";
}

}  // namespace

TrackerImpl::TrackerImpl(std::unique_ptr<RecordSink> sink, std::string job_id, StagePlan plan,
                         TrackerOptions options)
    : job_id_(std::move(job_id)),
      plan_(std::move(plan)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : system_clock()),
      sink_(std::move(sink)),
      started_at_(clock_->now()),
      write_interval_(1.0 / std::max(options_.max_writes_per_second, 0.001)) {
  eta_ = options_.eta_estimator.empty() ? make_default_eta_estimator(&plan_)
                                        : make_eta_estimator(options_.eta_estimator, &plan_);
  if (!eta_) {
    throw std::invalid_argument("unknown ETA estimator '" + options_.eta_estimator + "'");
  }
  if (options_.eta_history && options_.eta_history->runs > 0)
    eta_->set_history(*options_.eta_history);
  if (options_.cancel_poll_interval <= std::chrono::milliseconds::zero() ||
      options_.cancel_poll_interval > kMaxCancelPollInterval) {
    throw std::invalid_argument("cancel_poll_interval must be more than 0 and at most " +
                                std::to_string(kMaxCancelPollInterval.count()) + " ms, got " +
                                std::to_string(options_.cancel_poll_interval.count()) + " ms");
  }
  state_.last_updated = started_at_;
  push_boundary(true);
  flusher_ = std::thread([this] { run_flusher(); });
}

TrackerImpl::~TrackerImpl() {
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    flusher_wake_.notify_one();
    // What is left gets terminal_timeout of real time to land, whatever the
    // injected clock says: a destructor must not wait on a test's clock.
    acked_.wait_for(lock, options_.terminal_timeout,
                    [&] { return boundaries_.empty() && !dirty_; });
    abandoned_ = true;
  }
  flusher_wake_.notify_one();
  flusher_.join();
}

Result TrackerImpl::check_active(std::string_view operation) const {
  if (is_terminal(state_.status))
    return Result::failure(status_error(operation, state_.status));
  return Result::success();
}

Result TrackerImpl::start_stage(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto active = check_active("start_stage"); !active)
    return active;
  auto index = plan_.index_of(name);
  if (!index) {
    std::string known;
    for (const auto& stage : plan_.stages())
      known += (known.empty() ? "" : ", ") + stage.name;
    return Result::failure("start_stage: unknown stage '" + std::string(name) +
                           "'; the plan has: " + known);
  }
  return enter_stage(*index);
}

// Requires the lock. Moves to stage `index` (a no-op if it is the current one).
Result TrackerImpl::enter_stage(std::size_t index) {
  if (state_.stage && *state_.stage == index)
    return Result::success();
  if (state_.stage && index < *state_.stage) {
    return Result::failure("start_stage: cannot go back from stage '" + plan_[*state_.stage].name +
                           "' to '" + plan_[index].name + "'");
  }
  state_.status = JobStatus::running;
  state_.stage = index;
  state_.stage_progress = 0;
  state_.stage_completed = false;
  state_.overall = std::max(state_.overall, clamp_percent(plan_[index].start));
  state_.completed_items.reset();
  state_.total_items.reset();
  touch();
  push_boundary(true);
  return Result::success();
}

Result TrackerImpl::update_stage_progress(std::int64_t completed, std::int64_t total) {
  std::lock_guard lock(mutex_);
  if (auto active = check_active("update_stage_progress"); !active)
    return active;
  if (!state_.stage) {
    return Result::failure("update_stage_progress: no stage is running; call start_stage() first");
  }
  if (total <= 0) {
    return Result::failure("update_stage_progress: total must be positive, got " +
                           std::to_string(total));
  }
  const double fraction =
      std::clamp(static_cast<double>(completed) / static_cast<double>(total), 0.0, 1.0);
  state_.stage_progress = clamp_percent(fraction * 100.0);
  state_.overall =
      std::max(state_.overall, clamp_percent(plan_.overall_percent(*state_.stage, fraction)));
  state_.completed_items = completed;
  state_.total_items = total;
  touch();
  return Result::success();
}

Result TrackerImpl::complete_stage() {
  std::lock_guard lock(mutex_);
  if (auto active = check_active("complete_stage"); !active)
    return active;
  if (!state_.stage)
    return Result::failure("complete_stage: no stage is running");
  if (state_.stage_completed) {
    return Result::failure("complete_stage: stage '" + plan_[*state_.stage].name +
                           "' is already complete");
  }
  state_.stage_progress = 100;
  state_.stage_completed = true;
  state_.overall = std::max(state_.overall, clamp_percent(plan_[*state_.stage].end));
  if (state_.total_items)
    state_.completed_items = state_.total_items;
  touch();
  push_boundary(true);
  return Result::success();
}

Result TrackerImpl::update(const ProgressUpdate& update) {
  std::lock_guard lock(mutex_);
  if (auto active = check_active("update"); !active)
    return active;
  for (const auto& [key, value] : update.metadata) {
    if (is_reserved_metadata_key(key)) {
      return Result::failure("update: metadata key '" + key + "' is set by the Tracker itself");
    }
  }
  if (update.stage) {
    auto index = plan_.index_of(*update.stage);
    if (!index)
      return Result::failure("update: unknown stage '" + *update.stage + "'");
    if (auto entered = enter_stage(*index); !entered)
      return entered;
  }
  if ((update.stage_progress || update.completed_items) && !state_.stage) {
    return Result::failure("update: no stage is running; name one in `stage`");
  }
  if (update.stage_progress) {
    state_.stage_progress = clamp_percent(*update.stage_progress);
    state_.overall = std::max(state_.overall, clamp_percent(plan_.overall_percent(
                                                  *state_.stage, state_.stage_progress / 100.0)));
  }
  if (update.overall_progress) {
    state_.overall = std::max(state_.overall, clamp_percent(*update.overall_progress));
  }
  if (update.completed_items)
    state_.completed_items = *update.completed_items;
  if (update.total_items)
    state_.total_items = *update.total_items;
  for (const auto& [key, value] : update.metadata)
    state_.metadata[key] = value;
  if (state_.status == JobStatus::initializing)
    state_.status = JobStatus::running;
  touch();
  return Result::success();
}

Result TrackerImpl::finish(JobStatus status, std::string_view error) {
  std::unique_lock lock(mutex_);
  const std::string operation = "mark_" + std::string(to_string(status));
  if (auto active = check_active(operation); !active)
    return active;
  state_.status = status;
  if (status == JobStatus::completed) {
    state_.overall = 100;
    state_.stage_progress = 100;
    if (state_.total_items)
      state_.completed_items = state_.total_items;
  } else if (status == JobStatus::failed) {
    state_.error = error.empty() ? "failed" : std::string(error);
  }
  state_.last_updated = clock_->now();
  ++updates_;
  const std::uint64_t ticket = push_boundary(true);
  if (acked_.wait_for(lock, options_.terminal_timeout, [&] { return acked_ticket_ >= ticket; })) {
    return Result::success();
  }
  return Result::failure(operation + ": Redis did not acknowledge the write within " +
                         std::to_string(options_.terminal_timeout.count()) +
                         " ms (last error: " + last_error_ + "); still retrying in the background");
}

Result TrackerImpl::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = dirty_ ? push_boundary(false) : last_ticket_;
  if (acked_.wait_for(lock, timeout, [&] { return acked_ticket_ >= ticket && !dirty_; })) {
    return Result::success();
  }
  return Result::failure("flush: not acknowledged within " + std::to_string(timeout.count()) +
                         " ms (last error: " + last_error_ + ")");
}

TrackerStats TrackerImpl::stats() const {
  std::lock_guard lock(mutex_);
  return {updates_, writes_.load(), failed_writes_.load(), replaced_invalid_.load()};
}

// Requires the lock. The hot path of every update: no allocation of its own
// (the default estimator allocates only for a new, long stage name), no
// syscall except waking the flusher when the state turns dirty (once per write).
void TrackerImpl::touch() {
  const double now = clock_->now();
  state_.last_updated = now;
  ++updates_;
  eta_->observe(now - started_at_, state_.overall,
                state_.stage ? std::string_view(plan_[*state_.stage].name) : std::string_view());
  if (!dirty_) {
    dirty_ = true;
    flusher_wake_.notify_one();
  }
}

// Requires the lock. Queues the current state for an ordered write; it
// supersedes any coalesced state not yet written.
std::uint64_t TrackerImpl::push_boundary(bool append_event) {
  boundaries_.push_back(
      {state_, eta_for(state_, state_.last_updated), append_event, ++last_ticket_});
  dirty_ = false;
  flusher_wake_.notify_one();
  return last_ticket_;
}

TrackerImpl::EtaFields TrackerImpl::eta_for(const State& state, double now) const {
  const auto tenth = [](double seconds) {
    return std::round(std::max(0.0, seconds) * 10.0) / 10.0;
  };
  switch (state.status) {
    case JobStatus::completed:
      return {0.0, EtaRange{0.0, 0.0}};
    case JobStatus::running: {
      const double elapsed = std::max(0.0, now - started_at_);
      EtaFields out;
      if (auto eta = eta_->estimate(elapsed); eta && std::isfinite(*eta))
        out.eta = tenth(*eta);
      if (auto range = eta_->range(elapsed);
          out.eta && range && std::isfinite(range->low) && std::isfinite(range->high)) {
        out.range = EtaRange{tenth(range->low), tenth(range->high)};
      }
      return out;
    }
    default:
      return {};
  }
}

// Every timer here runs on the injected clock (steady_now, wait_until), so
// that a test's ManualClock decides when writes, cancel polls and retries are due.
void TrackerImpl::run_flusher() {
  std::unique_lock lock(mutex_);
  const double cancel_poll = std::chrono::duration<double>(options_.cancel_poll_interval).count();
  double next_regular_write = clock_->steady_now();
  double next_cancel_check = next_regular_write + cancel_poll;
  double retry_at = -std::numeric_limits<double>::infinity();
  double retry_delay = kFirstRetryDelay;

  auto after_attempt = [&](bool ok) {
    if (ok) {
      retry_delay = kFirstRetryDelay;
      retry_at = -std::numeric_limits<double>::infinity();
    } else {
      retry_at = clock_->steady_now() + retry_delay;
      retry_delay = std::min(retry_delay * 2, kMaxRetryDelay);
    }
  };

  while (true) {
    const double now = clock_->steady_now();
    const bool has_work = !boundaries_.empty() || dirty_;
    if (stopping_ && (!has_work || abandoned_))
      break;

    if (has_work && now >= retry_at) {
      if (!boundaries_.empty()) {
        const Boundary boundary = boundaries_.front();
        lock.unlock();
        const bool ok = write(boundary.state, boundary.eta, boundary.append_event);
        lock.lock();
        after_attempt(ok);
        if (ok) {
          boundaries_.pop_front();
          acked_ticket_ = boundary.ticket;
          acked_.notify_all();
        }
        continue;
      }
      if (now >= next_regular_write || stopping_) {
        const State state = state_;
        const auto eta = eta_for(state, clock_->now());
        dirty_ = false;
        lock.unlock();
        const bool ok = write(state, eta, false);
        lock.lock();
        after_attempt(ok);
        if (ok) {
          next_regular_write = clock_->steady_now() + write_interval_;
          acked_.notify_all();
        } else if (boundaries_.empty()) {
          dirty_ = true;  // the newest state still has to reach Redis
        }
        continue;
      }
    }
    if (!stopping_ && now >= next_cancel_check && !is_terminal(state_.status)) {
      lock.unlock();
      const auto cancel = sink_->cancel_requested(job_id_);
      lock.lock();
      if (cancel && *cancel)
        cancel_.store(true, std::memory_order_relaxed);
      next_cancel_check = clock_->steady_now() + cancel_poll;
      continue;
    }

    // Once the job is over there is no cancel to look for: sleep until there
    // is work (a flusher that kept waking for a past cancel check would spin).
    const bool polls_cancel = !stopping_ && !is_terminal(state_.status);
    double wake_at = polls_cancel ? next_cancel_check : std::numeric_limits<double>::infinity();
    if (has_work)
      wake_at =
          std::min(wake_at, std::max(retry_at, boundaries_.empty() ? next_regular_write : now));
    clock_->wait_until(flusher_wake_, lock, wake_at);
  }
}

// Called without the lock, on the flusher thread only.
bool TrackerImpl::write(const State& state, const EtaFields& eta, bool append_event) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::int64_t seq = seq_ + 1;
    const std::string json = build_record(state, eta, seq);
    const auto outcome = sink_->write({job_id_, json, seq, to_string(state.status), append_event});
    switch (outcome.kind) {
      case WriteOutcome::Kind::written:
        seq_ = seq;
        writes_.fetch_add(1, std::memory_order_relaxed);
        if (!outcome.replaced_invalid.empty())
          warn_replaced(outcome.replaced_invalid);
        if (outcome.cancel_requested)
          cancel_.store(true, std::memory_order_relaxed);
        if (options_.on_write)
          options_.on_write(json);
        return true;
      case WriteOutcome::Kind::stale:
        // Another writer (the server's queued record, an earlier attempt) got
        // there first: continue from its seq.
        seq_ = std::max(seq_, outcome.stored_seq);
        break;
      case WriteOutcome::Kind::failed: {
        failed_writes_.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(mutex_);
        last_error_ = outcome.error;
        return false;
      }
    }
  }
  std::lock_guard lock(mutex_);
  last_error_ = "the stored record's seq kept moving ahead";
  return false;
}

void TrackerImpl::warn_replaced(std::string_view why) {
  replaced_invalid_.fetch_add(1, std::memory_order_relaxed);
  std::string message = "headway: progress:job:" + job_id_ + " held no record of this job (" +
                        std::string(why) + "); overwritten";
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
}

std::string TrackerImpl::build_record(const State& state, const EtaFields& eta,
                                      std::int64_t seq) const {
  ProgressRecord record;
  record.job_id = job_id_;
  record.stage = state.stage ? plan_[*state.stage].name : std::string();
  record.stage_progress = state.stage_progress;
  record.overall_progress = state.overall;
  record.status = state.status;
  record.eta_seconds = eta.eta;
  if (eta.range) {
    record.eta_low_seconds = eta.range->low;
    record.eta_high_seconds = eta.range->high;
  }
  record.started_at = started_at_;
  record.last_updated = state.last_updated;
  record.seq = seq;
  record.attempt = options_.attempt;
  record.stages = plan_.stages();

  std::string& metadata = record.metadata_json;
  // push_back rather than `= "{"`: GCC 12 warns falsely (-Wrestrict) on the latter.
  metadata.clear();
  metadata.push_back('{');
  auto add_key = [&metadata](std::string_view key) {
    if (metadata.size() > 1)
      metadata += ',';
    append_json_string(metadata, key);
    metadata += ':';
  };
  for (const auto& [key, value] : state.metadata) {
    add_key(key);
    append_metadata_value(metadata, value);
  }
  if (state.completed_items) {
    add_key("completed_items");
    metadata += std::to_string(*state.completed_items);
  }
  if (state.total_items) {
    add_key("total_items");
    metadata += std::to_string(*state.total_items);
  }
  if (state.status == JobStatus::failed) {
    add_key("error");
    append_json_string(metadata, state.error);
  }
  metadata += '}';
  return to_json(record);
}

}  // namespace headway::detail
