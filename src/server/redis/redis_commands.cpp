#include "server/redis/redis_commands.hpp"

#include <spdlog/spdlog.h>

#include "server/metrics/metrics.hpp"

namespace headway::server {

RedisCommands::RedisCommands(asio::io_context& io, redis::Endpoint endpoint, Options options,
                             Metrics& metrics)
    : strand_(asio::make_strand(io)),
      endpoint_(std::move(endpoint)),
      options_(options),
      metrics_(metrics),
      socket_(strand_, options.command_timeout),
      retry_timer_(strand_),
      watchdog_timer_(strand_) {}

void RedisCommands::start() {
  asio::co_spawn(strand_, run(), asio::detached);
}

void RedisCommands::stop() {
  asio::post(strand_, [this] {
    stopping_ = true;
    retry_timer_.cancel();
    watchdog_timer_.cancel();
    socket_.close();
  });
}

void RedisCommands::enqueue(std::vector<std::string> args, Completion complete) {
  asio::post(strand_, [this, args = std::move(args), complete = std::move(complete)]() mutable {
    if (!connected_.load() || stopping_) {
      complete(asio::error::not_connected, redis::Reply());
      return;
    }
    std::vector<std::string_view> views(args.begin(), args.end());
    pending_.push_back({std::move(complete), std::chrono::steady_clock::now()});
    socket_.send(redis::format_command(views));
  });
}

void RedisCommands::fail_all(error_code ec) {
  connected_ = false;
  while (!pending_.empty()) {
    pending_.front().complete(ec, redis::Reply());
    pending_.pop_front();
  }
}

awaitable<void> RedisCommands::run() {
  auto delay = options_.retry_min;
  bool first = true;
  while (!stopping_) {
    if (auto ec = co_await socket_.connect(endpoint_, true); !ec) {
      spdlog::info("redis commands: connected to {}", socket_.peer());
      if (!first)
        metrics_.redis_reconnects(false).Increment();
      first = false;
      delay = options_.retry_min;
      connected_ = true;
      asio::co_spawn(strand_, watchdog(++generation_), asio::detached);
      co_await read_loop();
      fail_all(asio::error::connection_reset);
      if (stopping_)
        break;
      spdlog::warn("redis commands: lost the connection to {}", socket_.peer());
    } else {
      spdlog::debug("redis commands: cannot connect to {}: {}", endpoint_.display(),
                    socket_.connect_error().empty() ? ec.message() : socket_.connect_error());
    }
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(use_tuple);
    delay = std::min(delay * 2, options_.retry_max);
  }
  fail_all(asio::error::operation_aborted);
}

awaitable<void> RedisCommands::read_loop() {
  for (;;) {
    auto [ec, reply] = co_await socket_.read_reply();
    if (ec)
      co_return;
    if (pending_.empty()) {
      socket_.close();  // a reply nobody asked for: the stream is out of step
      co_return;
    }
    pending_.front().complete(error_code(), std::move(reply));
    pending_.pop_front();
  }
}

// Breaks the connection when the oldest command waited too long, so a hung
// Redis behaves like a dead one (reconnect, fall back to the job table).
awaitable<void> RedisCommands::watchdog(unsigned generation) {
  for (;;) {
    watchdog_timer_.expires_after(options_.command_timeout / 4);
    co_await watchdog_timer_.async_wait(use_tuple);
    if (generation != generation_ || !connected_.load() || stopping_)
      co_return;
    if (!pending_.empty() &&
        std::chrono::steady_clock::now() - pending_.front().sent > options_.command_timeout) {
      spdlog::warn("redis commands: no reply for {} ms; reconnecting",
                   options_.command_timeout.count());
      socket_.close();
      co_return;
    }
  }
}

}  // namespace headway::server
