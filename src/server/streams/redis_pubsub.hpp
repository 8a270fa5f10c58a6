#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "redis/redis_url.hpp"
#include "server/asio_types.hpp"
#include "server/redis/resp_socket.hpp"
#include "server/streams/fanout.hpp"

namespace headway::server {

class Metrics;

// A Redis pub/sub connection serving the streams of one I/O thread (see
// Fanout: each job is subscribed on exactly one of them): it SUBSCRIBEs and
// UNSUBSCRIBEs job channels as the fan-out asks and hands each message to the
// fan-out, on the thread whose streams mostly want it.
//
// A subscription counts as established only when Redis has acknowledged every
// SUBSCRIBE/UNSUBSCRIBE sent for that channel, so a quick leave-and-rejoin can
// never take an old acknowledgement for the new subscription. On a lost
// connection the fan-out falls back to the job table; the connection is
// retried with exponential backoff and, once back, re-subscribes every watched
// job in batches. A PING every `keepalive` detects a hung Redis.
//
// Thread-safe: subscribe/unsubscribe from any thread; state lives on a strand.
class RedisPubSub : public Subscriber {
 public:
  struct Options {
    std::chrono::milliseconds retry_min{1000};
    std::chrono::milliseconds retry_max{30000};
    std::chrono::milliseconds keepalive{5000};
  };
  // Registers itself with `fanout` as the home of the streams on `io`.
  RedisPubSub(asio::io_context& io, redis::Endpoint endpoint, Options options, Fanout& fanout,
              Metrics& metrics);

  void start();
  void stop();
  bool connected() const { return connected_.load(); }

  void subscribe(const std::string& job_id) override;
  void unsubscribe(const std::string& job_id) override;

 private:
  void send(const char* command, const std::vector<std::string>& job_ids);
  awaitable<void> run();
  awaitable<void> read_loop();
  awaitable<void> keepalive(unsigned generation);
  void on_reply(const redisReply* reply);
  void count_subscriptions(long long now);

  asio::strand<asio::io_context::executor_type> strand_;
  redis::Endpoint endpoint_;
  Options options_;
  Fanout& fanout_;
  Metrics& metrics_;
  std::size_t home_;
  long long subscriptions_ = 0;  // this connection's share of the gauge
  RespSocket socket_;
  std::atomic<bool> connected_{false};
  bool stopping_ = false;
  bool ping_outstanding_ = false;
  std::unordered_map<std::string, int> unacknowledged_;  // channel -> commands in flight
  unsigned generation_ = 0;  // +1 per connection; ends the previous keepalive
  asio::steady_timer retry_timer_;
  asio::steady_timer keepalive_timer_;
};

// The pub/sub connections of the process, one per I/O thread.
//
// Not thread-safe: start/stop from the owner; connected() from any thread.
class PubSubConnections {
 public:
  void add(std::unique_ptr<RedisPubSub> connection) {
    connections_.push_back(std::move(connection));
  }
  void start();
  void stop();
  // Whether every connection is up.
  bool connected() const;

 private:
  std::vector<std::unique_ptr<RedisPubSub>> connections_;
};

}  // namespace headway::server
