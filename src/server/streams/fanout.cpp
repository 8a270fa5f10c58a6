#include "server/streams/fanout.hpp"

#include <spdlog/spdlog.h>

#include "redis/keys.hpp"
#include "server/metrics/metrics.hpp"

namespace headway::server {

struct Fanout::Topic {
  // The topic's streams that run on one I/O thread: a record reaches them
  // through one hand-over to that thread, not one per stream. `members`
  // changes only on that thread (streams join and leave from their own
  // thread), under the topic's mutex; so that thread may read it without the
  // mutex, and the two threads' shares are written at the same time.
  struct Shard {
    const asio::execution_context* context = nullptr;
    asio::any_io_executor executor;
    std::vector<std::shared_ptr<StreamMailbox>> members;
  };

  Topic(std::string id, std::size_t home_index) : job_id(std::move(id)), home(home_index) {}
  bool has_members() const {
    return std::any_of(shards.begin(), shards.end(),
                       [](const auto& shard) { return !shard->members.empty(); });
  }

  const std::string job_id;
  const std::size_t home;  // the pub/sub connection that carries its channel
  std::mutex mutex;        // guards everything below (see Shard for its members)
  // At most one per I/O thread and never removed, so a Shard* stays valid for
  // the topic's life.
  std::vector<std::unique_ptr<Shard>> shards;
  bool subscribed = false;        // Redis acknowledged our SUBSCRIBE
  bool key_missing = false;       // the last snapshot found no usable record
  bool fallback_running = false;  // a fallback_loop is alive for this topic
};

namespace {

std::string_view job_of_channel(std::string_view channel) {
  if (channel.starts_with(redis::keys::kRecordPrefix))
    channel.remove_prefix(redis::keys::kRecordPrefix.size());
  return channel;
}

}  // namespace

Fanout::Fanout(asio::io_context& io, Snapshots& snapshots, Metrics& metrics,
               Duration fallback_interval)
    : io_(io),
      snapshots_(snapshots),
      metrics_(metrics),
      fallback_interval_(fallback_interval),
      fallback_strand_(asio::make_strand(io)) {}

void Fanout::stop() {
  asio::post(fallback_strand_, [this] {
    stopping_ = true;
    for (auto* timer : fallback_timers_)
      timer->cancel();
  });
}

std::size_t Fanout::add_home(const asio::execution_context& context, Subscriber& subscriber) {
  homes_.emplace_back(&context, &subscriber);
  return homes_.size() - 1;
}

std::size_t Fanout::home_of(const StreamMailbox& mailbox) const {
  const auto* context = &asio::query(mailbox.executor(), asio::execution::context);
  for (std::size_t i = 0; i < homes_.size(); ++i) {
    if (homes_[i].context == context)
      return i;
  }
  return 0;
}

void Fanout::subscribe(std::size_t home, const std::string& job_id) {
  if (home < homes_.size())
    homes_[home].subscriber->subscribe(job_id);
}

void Fanout::unsubscribe(std::size_t home, const std::string& job_id) {
  if (home < homes_.size())
    homes_[home].subscriber->unsubscribe(job_id);
}

std::shared_ptr<Fanout::Topic> Fanout::join(const std::string& job_id,
                                            const std::shared_ptr<StreamMailbox>& mailbox) {
  std::shared_ptr<Topic> topic;
  bool created = false;
  {
    std::lock_guard lock(mutex_);
    auto& slot = topics_[job_id];
    if (!slot) {
      slot = std::make_shared<Topic>(job_id, home_of(*mailbox));
      created = true;
      // Under the lock, so subscribe/unsubscribe requests keep their order.
      subscribe(slot->home, job_id);
    }
    topic = slot;
  }
  bool read_now = false;
  {
    std::lock_guard lock(topic->mutex);
    const auto* context = &asio::query(mailbox->executor(), asio::execution::context);
    auto shard = std::find_if(topic->shards.begin(), topic->shards.end(),
                              [context](const auto& s) { return s->context == context; });
    if (shard == topic->shards.end()) {
      shard = topic->shards.insert(topic->shards.end(), std::make_unique<Topic::Shard>(Topic::Shard{
                                                            context, mailbox->executor(), {}}));
    }
    (*shard)->members.push_back(mailbox);
    // A subscribed topic (or one that cannot be subscribed now) reads a
    // snapshot for the newcomer; otherwise the acknowledgement will.
    read_now = topic->subscribed || !home_up(topic->home);
  }
  if (read_now)
    refresh(topic, created ? nullptr : mailbox);
  return topic;
}

void Fanout::leave(const std::shared_ptr<Topic>& topic,
                   const std::shared_ptr<StreamMailbox>& mailbox) {
  std::lock_guard lock(mutex_);
  bool empty = false;
  {
    std::lock_guard topic_lock(topic->mutex);
    for (auto& shard : topic->shards)
      std::erase(shard->members, mailbox);
    empty = !topic->has_members();
  }
  auto it = topics_.find(topic->job_id);
  if (empty && it != topics_.end() && it->second == topic) {
    topics_.erase(it);
    unsubscribe(topic->home, topic->job_id);
  }
}

void Fanout::deliver(std::string_view channel, std::string_view payload) {
  const auto received = std::chrono::steady_clock::now();
  const std::string_view job_id = job_of_channel(channel);
  RecordVerdict verdict = RecordVerdict::valid;
  auto update = parse_update(payload, job_id, verdict);
  if (!update) {
    metrics_.record_dropped(verdict);
    return;
  }
  std::shared_ptr<Topic> topic;
  {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(job_id);
    if (it == topics_.end())
      return;
    topic = it->second;
  }
  {
    std::lock_guard lock(topic->mutex);
    topic->key_missing = false;
  }
  offer_to_members(topic, *update, received);
}

void Fanout::offer_to_members(const std::shared_ptr<Topic>& topic, const Update& update,
                              std::optional<std::chrono::steady_clock::time_point> received) {
  // Live records only: a snapshot's offer says nothing of the fan-out.
  auto observe = [this, received] {
    if (received) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - *received;
      metrics_.fanout_latency(took.count());
    }
  };
  const Topic::Shard* local = nullptr;
  {
    std::lock_guard lock(topic->mutex);
    // Other threads' shares are handed over before this thread starts on its
    // own, so that the threads write at the same time.
    for (const auto& shard : topic->shards) {
      if (shard->members.empty())
        continue;
      if (runs_in_this_thread(shard->executor)) {
        local = shard.get();
        continue;
      }
      asio::post(shard->executor, [topic, shard = shard.get(), update, observe] {
        for (const auto& member : shard->members)
          member->offer(update);
        observe();
      });
    }
  }
  if (local != nullptr) {
    for (const auto& member : local->members)
      member->offer(update);
    observe();
  }
}

void Fanout::on_subscribed(std::size_t home, std::string_view channel) {
  std::shared_ptr<Topic> topic;
  {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(job_of_channel(channel));
    if (it == topics_.end() || it->second->home != home)
      return;
    topic = it->second;
  }
  {
    std::lock_guard lock(topic->mutex);
    topic->subscribed = true;
  }
  refresh(topic, nullptr);
}

void Fanout::on_pubsub_up(std::size_t home) {
  homes_.at(home).up = true;
}

void Fanout::on_pubsub_down(std::size_t home) {
  homes_.at(home).up = false;
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, topic] : topics_) {
      if (topic->home == home)
        topics.push_back(topic);
    }
  }
  for (const auto& topic : topics) {
    {
      std::lock_guard lock(topic->mutex);
      topic->subscribed = false;
    }
    ensure_fallback(topic);
  }
}

std::vector<std::string> Fanout::job_ids(std::size_t home) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, topic] : topics_) {
    if (topic->home == home)
      ids.push_back(id);
  }
  return ids;
}

std::size_t Fanout::topic_count() const {
  std::lock_guard lock(mutex_);
  return topics_.size();
}

void Fanout::refresh(std::shared_ptr<Topic> topic, std::shared_ptr<StreamMailbox> only) {
  asio::co_spawn(io_, read_snapshot(std::move(topic), std::move(only)), asio::detached);
}

// Redis first; the job table when Redis has nothing usable or cannot answer.
// `only` limits the offer to one newcomer; null offers to every member.
awaitable<void> Fanout::read_snapshot(std::shared_ptr<Topic> topic,
                                      std::shared_ptr<StreamMailbox> only) {
  if (snapshot_hook_)
    snapshot_hook_(topic->job_id);
  auto read = co_await snapshots_.from_redis(topic->job_id);
  {
    std::lock_guard lock(topic->mutex);
    topic->key_missing = read.outcome != Snapshots::Outcome::found;
  }
  if (read.outcome != Snapshots::Outcome::found) {
    read = co_await snapshots_.from_database(topic->job_id);
    ensure_fallback(topic);
  }
  if (!read.update)
    co_return;
  if (only)
    only->offer(*read.update);
  else
    offer_to_members(topic, *read.update);
}

bool Fanout::needs_fallback(const Topic& topic) const {
  return topic.has_members() && (topic.key_missing || !home_up(topic.home) || !topic.subscribed);
}

void Fanout::ensure_fallback(const std::shared_ptr<Topic>& topic) {
  {
    std::lock_guard lock(topic->mutex);
    if (topic->fallback_running || !needs_fallback(*topic))
      return;
    topic->fallback_running = true;
  }
  asio::co_spawn(fallback_strand_, fallback_loop(topic), asio::detached);
}

// One loop per job while it needs the job table; it ends by itself when the
// job has no watchers left or Redis answers for it again.
awaitable<void> Fanout::fallback_loop(std::shared_ptr<Topic> topic) {
  asio::steady_timer timer(fallback_strand_);
  fallback_timers_.push_back(&timer);
  for (;;) {
    timer.expires_after(fallback_interval_);
    if (!stopping_)
      co_await timer.async_wait(use_tuple);
    {
      std::lock_guard lock(topic->mutex);
      if (stopping_ || !needs_fallback(*topic)) {
        topic->fallback_running = false;
        std::erase(fallback_timers_, &timer);
        co_return;
      }
    }
    // Redis first on every round: a record stored while the snapshot read
    // failed (the command connection down, or no publish since the key
    // appeared) is newer than anything the table holds.
    auto read = co_await snapshots_.from_redis(topic->job_id);
    const bool found = read.outcome == Snapshots::Outcome::found;
    {
      std::lock_guard lock(topic->mutex);
      topic->key_missing = !found;
    }
    if (!found)
      read = co_await snapshots_.from_database(topic->job_id);
    if (read.update)
      offer_to_members(topic, *read.update);
  }
}

}  // namespace headway::server
