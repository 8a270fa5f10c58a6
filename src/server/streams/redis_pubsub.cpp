#include "server/streams/redis_pubsub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "redis/keys.hpp"
#include "server/metrics/metrics.hpp"

namespace headway::server {

RedisPubSub::RedisPubSub(asio::io_context& io, redis::Endpoint endpoint, Options options,
                         Fanout& fanout, Metrics& metrics)
    : strand_(asio::make_strand(io)),
      endpoint_(std::move(endpoint)),
      options_(options),
      fanout_(fanout),
      metrics_(metrics),
      home_(fanout.add_home(io, *this)),
      socket_(strand_, options.keepalive),
      retry_timer_(strand_),
      keepalive_timer_(strand_) {}

void RedisPubSub::start() {
  asio::co_spawn(strand_, run(), asio::detached);
}

void RedisPubSub::stop() {
  asio::post(strand_, [this] {
    stopping_ = true;
    retry_timer_.cancel();
    keepalive_timer_.cancel();
    socket_.close();
  });
}

void RedisPubSub::subscribe(const std::string& job_id) {
  asio::post(strand_, [this, job_id] {
    if (connected_.load())
      send("SUBSCRIBE", {job_id});
  });
}

void RedisPubSub::unsubscribe(const std::string& job_id) {
  asio::post(strand_, [this, job_id] {
    if (connected_.load())
      send("UNSUBSCRIBE", {job_id});
  });
}

// On the strand. Large re-subscriptions go out in batches of 1,000 channels.
void RedisPubSub::send(const char* command, const std::vector<std::string>& job_ids) {
  constexpr std::size_t kBatch = 1000;
  for (std::size_t begin = 0; begin < job_ids.size(); begin += kBatch) {
    std::vector<std::string> channels;
    std::vector<std::string_view> args{command};
    const std::size_t end = std::min(job_ids.size(), begin + kBatch);
    channels.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      channels.push_back(redis::keys::record(job_ids[i]));
      ++unacknowledged_[channels.back()];
    }
    args.insert(args.end(), channels.begin(), channels.end());
    socket_.send(redis::format_command(args));
  }
}

awaitable<void> RedisPubSub::run() {
  auto delay = options_.retry_min;
  bool first = true;
  while (!stopping_) {
    if (auto ec = co_await socket_.connect(endpoint_, false); !ec) {
      spdlog::info("redis pub/sub: connected to {}", socket_.peer());
      if (!first)
        metrics_.redis_reconnects(true).Increment();
      first = false;
      delay = options_.retry_min;
      connected_ = true;
      ping_outstanding_ = false;
      fanout_.on_pubsub_up(home_);
      send("SUBSCRIBE", fanout_.job_ids(home_));
      asio::co_spawn(strand_, keepalive(++generation_), asio::detached);
      co_await read_loop();
      connected_ = false;
      unacknowledged_.clear();
      count_subscriptions(0);
      fanout_.on_pubsub_down(home_);
      if (stopping_)
        break;
      spdlog::warn("redis pub/sub: lost the connection to {}; streams fall back to the job table",
                   socket_.peer());
    } else if (first) {
      fanout_.on_pubsub_down(home_);
      spdlog::warn("redis pub/sub: cannot connect to {}: {}", endpoint_.display(),
                   socket_.connect_error().empty() ? ec.message() : socket_.connect_error());
    }
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(use_tuple);
    delay = std::min(delay * 2, options_.retry_max);
  }
}

awaitable<void> RedisPubSub::read_loop() {
  for (;;) {
    auto [ec, reply] = co_await socket_.read_reply();
    if (ec)
      co_return;
    on_reply(reply.get());
  }
}

void RedisPubSub::on_reply(const redisReply* reply) {
  ping_outstanding_ = false;  // any traffic proves the connection alive
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
    return;
  const auto kind = reply_text(reply->element[0]);
  const auto channel = reply_text(reply->element[1]);
  if (kind == "message" && reply->elements == 3) {
    fanout_.deliver(channel, reply_text(reply->element[2]));
  } else if (kind == "subscribe" || kind == "unsubscribe") {
    if (reply->elements == 3 && reply->element[2]->type == REDIS_REPLY_INTEGER)
      count_subscriptions(reply->element[2]->integer);
    auto it = unacknowledged_.find(std::string(channel));
    if (it == unacknowledged_.end())
      return;
    if (--it->second > 0)
      return;
    unacknowledged_.erase(it);
    if (kind == "subscribe")
      fanout_.on_subscribed(home_, channel);
  }
}

// Redis reports each connection's own count; the gauge is their sum.
void RedisPubSub::count_subscriptions(long long now) {
  metrics_.pubsub_subscriptions().Increment(static_cast<double>(now - subscriptions_));
  subscriptions_ = now;
}

awaitable<void> RedisPubSub::keepalive(unsigned generation) {
  for (;;) {
    keepalive_timer_.expires_after(options_.keepalive);
    co_await keepalive_timer_.async_wait(use_tuple);
    if (generation != generation_ || !connected_.load() || stopping_)
      co_return;
    if (ping_outstanding_) {
      spdlog::warn("redis pub/sub: no answer to PING; reconnecting");
      socket_.close();
      co_return;
    }
    ping_outstanding_ = true;
    socket_.send(redis::format_command({"PING"}));
  }
}

void PubSubConnections::start() {
  for (auto& connection : connections_)
    connection->start();
}

void PubSubConnections::stop() {
  for (auto& connection : connections_)
    connection->stop();
}

bool PubSubConnections::connected() const {
  return !connections_.empty() &&
         std::all_of(connections_.begin(), connections_.end(),
                     [](const auto& connection) { return connection->connected(); });
}

}  // namespace headway::server
