#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/connection.hpp"
#include "support/process.hpp"

namespace headway::test {

// A real redis-server on a free loopback port, private to one test, with its
// own data directory. Fails the test (throws) if it cannot be started: a
// missing redis-server is an error, never a skip.
class RedisServer {
 public:
  // `extra_args` are passed to redis-server (e.g. {"--requirepass", "pw"}).
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // Starts again on the same port (after stop() or kill()).
  void start();
  // SIGTERM and wait.
  void stop();
  // SIGKILL and wait: the abrupt death of the server.
  void kill();

  // A new connection to this server (throws when it cannot connect).
  std::unique_ptr<redis::Connection> connect() const;
  // Runs one command on a fresh connection; throws on a connection error.
  redis::CommandResult command(const std::vector<std::string_view>& args) const;
  // GET key, nullopt when missing.
  std::optional<std::string> get(const std::string& key) const;
  const std::filesystem::path& dir() const { return dir_.path(); }
  pid_t pid() const { return process_.pid(); }

 private:
  bool try_start();
  TempDir dir_;
  std::vector<std::string> extra_args_;
  std::string password_;
  int port_ = 0;
  ChildProcess process_;
};

}  // namespace headway::test
