#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "redis/connection.hpp"
#include "redis/redis_url.hpp"
#include "server/asio_types.hpp"
#include "server/redis/resp_socket.hpp"

namespace headway::server {

class Metrics;

// The server's connection for ordinary commands (GET for snapshots, PING for
// health). Commands from any thread are pipelined on one socket: each is
// appended to an output buffer and its continuation to a FIFO, and the reader
// completes continuations in reply order.
//
// A command unanswered after `command_timeout` breaks the connection (a hung
// or stopped Redis); a broken connection fails every pending command and
// reconnects with exponential backoff. While disconnected, commands fail at
// once with asio::error::not_connected instead of queueing.
//
// Thread-safe: execute() may be called from any thread; state lives on a strand.
class RedisCommands {
 public:
  struct Options {
    std::chrono::milliseconds command_timeout{2000};
    std::chrono::milliseconds retry_min{1000};
    std::chrono::milliseconds retry_max{30000};
  };
  // Completes one command on its caller's executor.
  using Completion = std::function<void(error_code, redis::Reply)>;

  RedisCommands(asio::io_context& io, redis::Endpoint endpoint, Options options, Metrics& metrics);

  void start();
  void stop();
  bool connected() const { return connected_.load(); }

  // Runs one command; completes with the reply (which may be a Redis error
  // reply) or a connection error.
  template <typename Token>
  auto async_execute(std::vector<std::string> args, Token&& token) {
    return asio::async_initiate<Token, void(error_code, redis::Reply)>(
        // NOLINTNEXTLINE(performance-unnecessary-value-param): moved into the queue below
        [this](auto handler, std::vector<std::string> args) {
          enqueue(std::move(args), make_completion(std::move(handler)));
        },
        token, std::move(args));
  }
  awaitable<std::pair<error_code, redis::Reply>> execute(std::vector<std::string> args) {
    auto [ec, reply] = co_await async_execute(std::move(args), use_tuple);
    co_return std::pair{ec, std::move(reply)};
  }

 private:
  // Type-erases a (move-only) handler into a copyable completion that posts
  // to the handler's executor, so a continuation never runs on our strand.
  template <typename Handler>
  Completion make_completion(Handler handler) {
    auto executor = asio::get_associated_executor(handler, strand_);
    auto shared = std::make_shared<Handler>(std::move(handler));
    return [shared, executor](error_code ec, redis::Reply reply) {
      asio::post(executor, [shared, ec, reply = std::move(reply)]() mutable {
        (*shared)(ec, std::move(reply));
      });
    };
  }
  struct Pending {
    Completion complete;
    std::chrono::steady_clock::time_point sent;
  };
  void enqueue(std::vector<std::string> args, Completion complete);
  void fail_all(error_code ec);
  awaitable<void> run();
  awaitable<void> read_loop();
  awaitable<void> watchdog(unsigned generation);

  asio::strand<asio::io_context::executor_type> strand_;
  redis::Endpoint endpoint_;
  Options options_;
  Metrics& metrics_;
  RespSocket socket_;
  std::deque<Pending> pending_;
  bool stopping_ = false;
  std::atomic<bool> connected_{false};
  unsigned generation_ = 0;  // +1 per connection; ends the previous watchdog
  asio::steady_timer retry_timer_;
  asio::steady_timer watchdog_timer_;
};

}  // namespace headway::server
