#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace headway::test {

// A private PostgreSQL cluster for one test program: initdb into a fresh
// temporary directory, a postmaster on a free 127.0.0.1 port (its unix socket
// inside that directory), everything stopped and removed on destruction.
// Works as root (the server runs as the `postgres` OS user) and as an
// ordinary user. Throws std::runtime_error with the server log when
// PostgreSQL is missing or will not start: tests must fail, never skip.
// Not thread-safe.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }

  // postgres://headway@127.0.0.1:<port>/<database>
  std::string url(const std::string& database) const;

  // Creates a new, empty database and returns its URL.
  std::string create_database(const std::string& name);

  // Fast shutdown (clients are disconnected), waiting until the server is gone.
  void stop();
  // Starts again on the same port and data, waiting until it accepts connections.
  void start();

 private:
  void run_as_server_user(const std::vector<std::string>& argv);
  void wait_until_accepting_connections();

  std::filesystem::path bindir_;
  std::filesystem::path root_;  // the temporary directory holding everything
  int port_ = 0;
  bool running_ = false;
};

}  // namespace headway::test
