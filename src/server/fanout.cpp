#include "server/fanout.hpp"

#include <spdlog/spdlog.h>

#include "redis/keys.hpp"
#include "server/metrics.hpp"

namespace headway::server {

struct Fanout::Topic {
  explicit Topic(std::string id) : job_id(std::move(id)) {}
  const std::string job_id;
  std::mutex mutex;  // guards everything below
  std::vector<std::shared_ptr<StreamMailbox>> members;
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

std::shared_ptr<Fanout::Topic> Fanout::join(const std::string& job_id,
                                            std::shared_ptr<StreamMailbox> mailbox) {
  std::shared_ptr<Topic> topic;
  bool created = false;
  {
    std::lock_guard lock(mutex_);
    auto& slot = topics_[job_id];
    if (!slot) {
      slot = std::make_shared<Topic>(job_id);
      created = true;
      // Under the lock, so subscribe/unsubscribe requests keep their order.
      if (subscriber_)
        subscriber_->subscribe(job_id);
    }
    topic = slot;
  }
  bool read_now = false;
  {
    std::lock_guard lock(topic->mutex);
    topic->members.push_back(mailbox);
    // A subscribed topic (or one that cannot be subscribed now) reads a
    // snapshot for the newcomer; otherwise the acknowledgement will.
    read_now = topic->subscribed || !pubsub_up_.load();
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
    std::erase(topic->members, mailbox);
    empty = topic->members.empty();
  }
  auto it = topics_.find(topic->job_id);
  if (empty && it != topics_.end() && it->second == topic) {
    topics_.erase(it);
    if (subscriber_)
      subscriber_->unsubscribe(topic->job_id);
  }
}

void Fanout::deliver(std::string_view channel, std::string_view payload) {
  auto update = parse_update(payload);
  if (!update) {
    metrics_.redis_malformed().Increment();
    return;
  }
  std::shared_ptr<Topic> topic;
  {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(std::string(job_of_channel(channel)));
    if (it == topics_.end())
      return;
    topic = it->second;
  }
  std::lock_guard lock(topic->mutex);
  topic->key_missing = false;
  for (const auto& member : topic->members)
    member->offer(*update);
}

void Fanout::on_subscribed(std::string_view channel) {
  std::shared_ptr<Topic> topic;
  {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(std::string(job_of_channel(channel)));
    if (it == topics_.end())
      return;
    topic = it->second;
  }
  {
    std::lock_guard lock(topic->mutex);
    topic->subscribed = true;
  }
  refresh(topic, nullptr);
}

void Fanout::on_pubsub_up() {
  pubsub_up_ = true;
}

void Fanout::on_pubsub_down() {
  pubsub_up_ = false;
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, topic] : topics_)
      topics.push_back(topic);
  }
  for (const auto& topic : topics) {
    {
      std::lock_guard lock(topic->mutex);
      topic->subscribed = false;
    }
    ensure_fallback(topic);
  }
}

std::vector<std::string> Fanout::job_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(topics_.size());
  for (const auto& [id, topic] : topics_)
    ids.push_back(id);
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
  if (only) {
    only->offer(*read.update);
    co_return;
  }
  std::lock_guard lock(topic->mutex);
  for (const auto& member : topic->members)
    member->offer(*read.update);
}

bool Fanout::needs_fallback(const Topic& topic) const {
  return !topic.members.empty() && (topic.key_missing || !pubsub_up_.load() || !topic.subscribed);
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
    auto read = co_await snapshots_.from_database(topic->job_id);
    if (!read.update)
      continue;
    std::lock_guard lock(topic->mutex);
    for (const auto& member : topic->members)
      member->offer(*read.update);
  }
}

}  // namespace headway::server
