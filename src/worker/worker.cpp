#include "worker/worker.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "jobs/lease.hpp"
#include "jobs/liveness.hpp"
#include "jobs/queue_stream.hpp"
#include "worker/job_runner.hpp"

namespace headway::worker {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr std::chrono::milliseconds kHeartbeatRetry{100};

}  // namespace

// One job in progress: its thread and what the heartbeat needs to see.
struct Worker::Running {
  QueueEntry entry;
  StopSignal stop;
  LeaseFlag lease;
  std::atomic<bool> done{false};
  std::thread thread;
};

Worker::Worker(WorkerOptions options, store::JobStore& store, JobCatalog catalog)
    : options_(std::move(options)),
      store_(store),
      catalog_(std::move(catalog)),
      consumer_(options_.consumer.empty() ? unique_process_name() : options_.consumer) {
  options_.concurrency = std::max(1, options_.concurrency);
  options_.max_attempts = std::max(1, options_.max_attempts);
}

Worker::~Worker() {
  stop(true);
  std::vector<std::shared_ptr<Running>> running;
  {
    std::lock_guard lock(mutex_);
    running.swap(running_);
  }
  for (auto& job : running) {
    job->stop.request("worker destroyed");
    if (job->thread.joinable())
      job->thread.join();
  }
}

void Worker::stop(bool immediate) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    immediate_ = immediate_ || immediate;
  }
  changed_.notify_all();
}

bool Worker::wait_for_stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return stopping_; });
}

JobResult<void> Worker::run() {
  std::string error;
  const auto endpoint = redis::parse_redis_url(options_.redis_url, error);
  if (!endpoint)
    return invalid_input("redis", "Redis URL: " + error);
  if (endpoint->is_cluster())
    return invalid_input("redis",
                         "headway worker does not run on a Redis Cluster yet (docs/operations.md, "
                         "\"Redis Cluster\"); give it a standalone, rediss:// or "
                         "redis+sentinel:// URL");
  spdlog::info("worker {}: concurrency {}, reclaim after {} ms idle, max attempts {}", consumer_,
               options_.concurrency, options_.reclaim_idle.count(), options_.max_attempts);
  std::thread heartbeat([this] { heartbeat_loop(); });
  fetch_loop();
  shut_down();
  heartbeat.join();
  leave_group();
  spdlog::info("worker {}: stopped", consumer_);
  return {};
}

void Worker::leave_group() {
  std::string error;
  const auto endpoint = *redis::parse_redis_url(options_.redis_url, error);
  auto redis = redis::Connection::open(
      endpoint, {std::chrono::milliseconds(2000), std::chrono::milliseconds(2000)}, error);
  // Entries still pending (a job that could not be failed cleanly) keep the
  // consumer listed until another worker reclaims them.
  if (redis)
    (void)remove_idle_consumers(*redis, std::chrono::milliseconds(-1), consumer_);
}

void Worker::fetch_loop() {
  std::string url_error;
  const auto endpoint = *redis::parse_redis_url(options_.redis_url, url_error);
  // The command timeout covers the longest BLOCK.
  const redis::Connection::Timeouts timeouts{std::chrono::milliseconds(2000),
                                             options_.block + std::chrono::milliseconds(2000)};
  std::unique_ptr<redis::Connection> redis;
  auto backoff = kFirstBackoff;
  ReclaimScan scan{"0-0", std::chrono::steady_clock::now(),
                   std::max(std::chrono::milliseconds(100), options_.reclaim_idle / 2)};

  auto failed = [&](const std::string& message) {
    spdlog::warn("worker {}: {}; retrying in {} ms", consumer_, message, backoff.count());
    redis.reset();
    wait_for_stop(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  };

  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
    }
    reap_finished();
    if (!redis) {
      std::string error;
      redis = redis::Connection::open(endpoint, timeouts, error);
      if (!redis) {
        failed(error);
        continue;
      }
      if (auto group = ensure_consumer_group(*redis); !group) {
        failed(group.error().message);
        continue;
      }
    }
    const int free_slots = options_.concurrency - static_cast<int>(running_count());
    if (free_slots <= 0) {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(200));
      continue;
    }
    auto entries = next_entries(*redis, free_slots, scan);
    if (!entries) {
      // Also NOGROUP (the group or the stream was deleted): reconnecting recreates it.
      failed(entries.error().message);
      continue;
    }
    backoff = kFirstBackoff;
    dispatch(std::move(*entries));
  }
}

JobResult<std::vector<QueueEntry>> Worker::next_entries(redis::Connection& redis, int free_slots,
                                                        ReclaimScan& scan) {
  const auto now = std::chrono::steady_clock::now();
  if (now >= scan.next_at) {
    auto claimed =
        claim_idle_entries(redis, consumer_, options_.reclaim_idle, free_slots, scan.cursor);
    if (!claimed)
      return claimed;
    // A scan of the pending list may take several calls; the next starts later.
    if (scan.cursor == "0-0") {
      scan.next_at = now + scan.every;
      forget_dead_consumers(redis);
    }
    if (!claimed->empty()) {
      spdlog::info("worker {}: reclaimed {} idle job(s)", consumer_, claimed->size());
      return claimed;
    }
  }
  return read_new_entries(redis, consumer_, free_slots, options_.block);
}

void Worker::forget_dead_consumers(redis::Connection& redis) {
  // A live worker reads at least every `block`, or holds pending entries.
  const auto min_idle = std::max(options_.reclaim_idle, options_.block * 4);
  auto removed = remove_idle_consumers(redis, min_idle);
  if (!removed) {
    spdlog::warn("worker {}: {}", consumer_, removed.error().message);
    return;
  }
  for (const auto& name : *removed)
    spdlog::info("worker {}: removed consumer {} (no pending jobs, idle over {} ms)", consumer_,
                 name, min_idle.count());
}

void Worker::dispatch(std::vector<QueueEntry> entries) {
  RunnerEnvironment environment{options_, store_, catalog_, consumer_};
  for (auto& entry : entries) {
    auto job = std::make_shared<Running>();
    job->entry = std::move(entry);
    std::lock_guard lock(mutex_);
    running_.push_back(job);
    job->thread = std::thread([this, job, environment] {
      run_queue_entry(environment, job->entry, job->stop, job->lease);
      job->done.store(true);
      changed_.notify_all();
    });
  }
}

void Worker::reap_finished() {
  std::vector<std::shared_ptr<Running>> finished;
  {
    std::lock_guard lock(mutex_);
    auto split = std::stable_partition(running_.begin(), running_.end(),
                                       [](const auto& job) { return !job->done.load(); });
    finished.assign(split, running_.end());
    running_.erase(split, running_.end());
  }
  for (auto& job : finished)
    job->thread.join();
}

std::size_t Worker::running_count() {
  std::lock_guard lock(mutex_);
  return running_.size();
}

void Worker::shut_down() {
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
  {
    std::unique_lock lock(mutex_);
    if (!running_.empty()) {
      spdlog::info("worker {}: stopping; waiting up to {} ms for {} running job(s)", consumer_,
                   options_.shutdown_grace.count(), running_.size());
    }
    changed_.wait_until(lock, deadline, [this] {
      return immediate_ || std::all_of(running_.begin(), running_.end(),
                                       [](const auto& job) { return job->done.load(); });
    });
    const std::string reason =
        fmt::format("worker shut down before the job finished (the grace period of {:g} s passed)",
                    static_cast<double>(options_.shutdown_grace.count()) / 1000.0);
    for (auto& job : running_) {
      if (!job->done.load())
        job->stop.request(immediate_ ? "worker shut down before the job finished" : reason);
    }
  }
  // Joined before they leave running_, so the heartbeat keeps their leases
  // while the stopped jobs write their last records.
  std::vector<std::shared_ptr<Running>> running;
  {
    std::lock_guard lock(mutex_);
    running = running_;
  }
  for (auto& job : running)
    job->thread.join();
  {
    std::lock_guard lock(mutex_);
    running_.clear();
  }
  changed_.notify_all();
}

void Worker::heartbeat_loop() {
  std::string error;
  const auto endpoint = *redis::parse_redis_url(options_.redis_url, error);
  std::unique_ptr<redis::Connection> redis;
  // After a round that could not reach Redis the next one comes soon, not a
  // whole interval later: a lease must be renewed as soon as Redis is back,
  // whatever the fetch loop's own backoff is.
  const auto retry_after = std::min(options_.heartbeat_interval(), kHeartbeatRetry);
  bool behind = false;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, behind ? retry_after : options_.heartbeat_interval());
      if (stopping_ && running_.empty())
        return;
    }
    std::vector<std::shared_ptr<Running>> running;
    {
      std::lock_guard lock(mutex_);
      running = running_;
    }
    behind = !renew_leases(redis, endpoint, running);
  }
}

bool Worker::renew_leases(std::unique_ptr<redis::Connection>& redis,
                          const redis::Endpoint& endpoint,
                          const std::vector<std::shared_ptr<Running>>& running) {
  for (const auto& job : running) {
    if (!job->lease.held() || job->done.load())
      continue;
    if (!redis || redis->broken()) {
      std::string error;
      redis = redis::Connection::open(endpoint, {}, error);
      if (!redis) {
        spdlog::warn("worker {}: heartbeat: {}", consumer_, error);
        return false;
      }
    }
    const std::string& id = job->entry.job_id;
    auto renewed = renew_lease(*redis, id, consumer_, options_.lease_ttl(), job->lease.attempt());
    if (!renewed) {
      spdlog::warn("worker {}: heartbeat: {}", consumer_, renewed.error().message);
      if (renewed.error().code == JobError::Code::unavailable)
        return false;
      continue;
    }
    if (*renewed == LeaseRenewal::lost) {
      if (job->lease.held())
        job->stop.request(std::string(kLeaseLostReason));
      continue;
    }
    if (*renewed == LeaseRenewal::retaken)
      spdlog::warn("job {}: its lease was gone (Redis restarted empty?); took it again", id);
    // After Redis lost jobs:queue the entry is gone; the lease alone shows
    // the run is alive then (the liveness sweep re-queues runs without one).
    if (auto touched = touch_entry(*redis, consumer_, job->entry.entry_id); !touched)
      spdlog::debug("worker {}: heartbeat: {}", consumer_, touched.error().message);
  }
  return true;
}

}  // namespace headway::worker
