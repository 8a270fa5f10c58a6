#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/asio_types.hpp"
#include "server/config.hpp"
#include "server/streams/mailbox.hpp"
#include "server/streams/record_snapshots.hpp"

namespace headway::server {

class Metrics;

// What the fan-out needs from a pub/sub connection.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Both may be called from any thread; calls are carried out in call order.
  virtual void subscribe(const std::string& job_id) = 0;
  virtual void unsubscribe(const std::string& job_id) = 0;
};

// The jobs watched in this process and the streams watching each (a Topic).
//
// Each I/O thread has its own pub/sub connection (a "home"). A job's first
// local watcher makes the process SUBSCRIBE to its channel on the connection
// of that watcher's thread, the topic's home for its life; its last leaving
// makes it UNSUBSCRIBE there. So each job is subscribed once per process, and
// a record usually reaches its streams on the thread that read it: a job
// watched from one thread (the common case) costs no hand-over between
// threads, and a job watched from several costs one per other thread, not
// one per stream. Once Redis acknowledges a subscription
// the topic reads the snapshot (subscribe before snapshot: nothing published
// after the acknowledgement can be missed) and offers it to its streams; a
// stream joining an already subscribed topic gets its own snapshot read.
// Each pub/sub message is parsed once and offered to every stream of its job.
//
// While the pub/sub connection is down, or Redis has no record for the job,
// the topic looks again every `fallback_interval` (one timer per job, not per
// stream): Redis first, so a record stored while a snapshot read failed is
// not missed, else the job table, whose synthesized record it offers.
//
// Thread-safe: a stream joins and leaves from its own thread (the one running
// its executor's io_context); pub/sub events arrive from the pub/sub
// connection's strand.
class Fanout {
 public:
  struct Topic;
  // Called just before a topic's snapshot GET (tests use it to write a record
  // between subscription and snapshot).
  using SnapshotHook = std::function<void(const std::string& job_id)>;

  Fanout(asio::io_context& io, Snapshots& snapshots, Metrics& metrics, Duration fallback_interval);

  // Registers the pub/sub connection serving the streams that run on
  // `context` (the first registered also serves streams on any other
  // executor) and returns its home index. All before the first join().
  std::size_t add_home(const asio::execution_context& context, Subscriber& subscriber);
  void set_snapshot_hook(SnapshotHook hook) { snapshot_hook_ = std::move(hook); }

  std::shared_ptr<Topic> join(const std::string& job_id,
                              const std::shared_ptr<StreamMailbox>& mailbox);
  void leave(const std::shared_ptr<Topic>& topic, const std::shared_ptr<StreamMailbox>& mailbox);

  // From the pub/sub connection of home `home`.
  void deliver(std::string_view channel, std::string_view payload);
  void on_subscribed(std::size_t home, std::string_view channel);
  void on_pubsub_up(std::size_t home);
  void on_pubsub_down(std::size_t home);
  std::vector<std::string> job_ids(std::size_t home) const;

  std::size_t topic_count() const;
  // Ends the job-table fallback loops (server shutdown).
  void stop();

 private:
  // Offers `update` to every stream of the topic, each on its own I/O thread.
  // `received`: when the live message carrying it was read (for the
  // fan-out latency metric); nullopt for snapshots and fallbacks.
  void offer_to_members(const std::shared_ptr<Topic>& topic, const Update& update,
                        std::optional<std::chrono::steady_clock::time_point> received = {});
  void refresh(std::shared_ptr<Topic> topic, std::shared_ptr<StreamMailbox> only);
  awaitable<void> read_snapshot(std::shared_ptr<Topic> topic, std::shared_ptr<StreamMailbox> only);
  void ensure_fallback(const std::shared_ptr<Topic>& topic);
  awaitable<void> fallback_loop(std::shared_ptr<Topic> topic);
  bool needs_fallback(const Topic& topic) const;

  asio::io_context& io_;
  Snapshots& snapshots_;
  Metrics& metrics_;
  Duration fallback_interval_;
  struct Home {
    Home(const asio::execution_context* c, Subscriber* s) : context(c), subscriber(s) {}
    const asio::execution_context* context;
    Subscriber* subscriber;
    std::atomic<bool> up{false};
  };
  std::size_t home_of(const StreamMailbox& mailbox) const;
  bool home_up(std::size_t home) const { return home < homes_.size() && homes_[home].up.load(); }
  void subscribe(std::size_t home, const std::string& job_id);
  void unsubscribe(std::size_t home, const std::string& job_id);

  std::deque<Home> homes_;  // fixed once streams join
  SnapshotHook snapshot_hook_;
  // Fallback loops run here; their timers are listed so stop() can end them.
  asio::strand<asio::io_context::executor_type> fallback_strand_;
  std::vector<asio::steady_timer*> fallback_timers_;
  bool stopping_ = false;  // on fallback_strand_
  mutable std::mutex mutex_;
  // Heterogeneous lookup: a channel name's job id is found without a copy.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  std::unordered_map<std::string, std::shared_ptr<Topic>, IdHash, std::equal_to<>> topics_;
};

}  // namespace headway::server
