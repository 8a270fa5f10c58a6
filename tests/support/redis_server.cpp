#include "support/redis_server.hpp"

#include <signal.h>

#include <stdexcept>

namespace headway::test {

RedisServer::RedisServer(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  for (std::size_t i = 0; i + 1 < extra_args_.size(); ++i) {
    if (extra_args_[i] == "--requirepass")
      password_ = extra_args_[i + 1];
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (try_start())
      return;
  }
  throw std::runtime_error("cannot start redis-server (is it installed?); see " +
                           (dir_.path() / "redis.log").string());
}

RedisServer::~RedisServer() {
  stop();
}

bool RedisServer::try_start() {
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path().string()};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = ChildProcess::spawn(argv, dir_.path() / "redis.log");
  const bool ready = eventually([&] {
    if (!process_.running() || process_.poll())
      return true;  // exited: stop waiting
    std::string error;
    auto connection = redis::Connection::open(
        redis::Endpoint{"127.0.0.1", port_, {}, {}, password_, 0}, {}, error);
    if (!connection)
      return false;
    auto pong = connection->command({"PING"});
    return pong.ok() && !pong.is_error_reply();
  });
  return ready && process_.running();
}

void RedisServer::start() {
  if (!try_start())
    throw std::runtime_error("cannot restart redis-server on its port");
}

void RedisServer::stop() {
  if (!process_.running())
    return;
  process_.signal(SIGTERM);
  process_.wait();
}

void RedisServer::kill() {
  process_.signal(SIGKILL);
  process_.wait();
}

std::unique_ptr<redis::Connection> RedisServer::connect() const {
  std::string error;
  auto connection =
      redis::Connection::open(redis::Endpoint{"127.0.0.1", port_, {}, {}, password_, 0}, {}, error);
  if (!connection)
    throw std::runtime_error(error);
  return connection;
}

redis::CommandResult RedisServer::command(const std::vector<std::string_view>& args) const {
  auto result = connect()->command(args);
  if (!result.ok())
    throw std::runtime_error(result.error);
  return result;
}

std::optional<std::string> RedisServer::get(const std::string& key) const {
  auto result = command({"GET", key});
  if (result.reply->type != REDIS_REPLY_STRING)
    return std::nullopt;
  return std::string(result.reply->str, result.reply->len);
}

}  // namespace headway::test
