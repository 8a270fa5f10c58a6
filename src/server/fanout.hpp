#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/asio_types.hpp"
#include "server/config.hpp"
#include "server/snapshots.hpp"
#include "server/stream_mailbox.hpp"

namespace headway::server {

class Metrics;

// What the fan-out needs from the shared pub/sub connection.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Both may be called from any thread; calls are carried out in call order.
  virtual void subscribe(const std::string& job_id) = 0;
  virtual void unsubscribe(const std::string& job_id) = 0;
};

// The jobs watched in this process and the streams watching each (a Topic).
//
// A job's first local watcher makes the process SUBSCRIBE to its channel; its
// last leaving makes it UNSUBSCRIBE. Once Redis acknowledges a subscription
// the topic reads the snapshot (subscribe before snapshot: nothing published
// after the acknowledgement can be missed) and offers it to its streams; a
// stream joining an already subscribed topic gets its own snapshot read.
// Each pub/sub message is parsed once and offered to every stream of its job.
//
// While the pub/sub connection is down, or Redis has no record for the job,
// the topic reads the job table every `fallback_interval` (one timer per job,
// not per stream) and offers the synthesized record.
//
// Thread-safe: any thread may join or leave; pub/sub events arrive from the
// pub/sub connection's strand.
class Fanout {
 public:
  struct Topic;
  // Called just before a topic's snapshot GET (tests use it to write a record
  // between subscription and snapshot).
  using SnapshotHook = std::function<void(const std::string& job_id)>;

  Fanout(asio::io_context& io, Snapshots& snapshots, Metrics& metrics, Duration fallback_interval);

  void set_subscriber(Subscriber* subscriber) { subscriber_ = subscriber; }
  void set_snapshot_hook(SnapshotHook hook) { snapshot_hook_ = std::move(hook); }

  std::shared_ptr<Topic> join(const std::string& job_id, std::shared_ptr<StreamMailbox> mailbox);
  void leave(const std::shared_ptr<Topic>& topic, const std::shared_ptr<StreamMailbox>& mailbox);

  // From the pub/sub connection.
  void deliver(std::string_view channel, std::string_view payload);
  void on_subscribed(std::string_view channel);
  void on_pubsub_up();
  void on_pubsub_down();
  std::vector<std::string> job_ids() const;

  std::size_t topic_count() const;
  // Ends the job-table fallback loops (server shutdown).
  void stop();

 private:
  void refresh(std::shared_ptr<Topic> topic, std::shared_ptr<StreamMailbox> only);
  awaitable<void> read_snapshot(std::shared_ptr<Topic> topic, std::shared_ptr<StreamMailbox> only);
  void ensure_fallback(const std::shared_ptr<Topic>& topic);
  awaitable<void> fallback_loop(std::shared_ptr<Topic> topic);
  bool needs_fallback(const Topic& topic) const;

  asio::io_context& io_;
  Snapshots& snapshots_;
  Metrics& metrics_;
  Duration fallback_interval_;
  Subscriber* subscriber_ = nullptr;
  SnapshotHook snapshot_hook_;
  std::atomic<bool> pubsub_up_{false};
  // Fallback loops run here; their timers are listed so stop() can end them.
  asio::strand<asio::io_context::executor_type> fallback_strand_;
  std::vector<asio::steady_timer*> fallback_timers_;
  bool stopping_ = false;  // on fallback_strand_
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Topic>> topics_;
};

}  // namespace headway::server
