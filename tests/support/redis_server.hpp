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
// A private certificate authority and the certificates it signed, made with
// the `openssl` command: a server certificate for 127.0.0.1 and localhost, a
// client certificate, and a second CA that signed neither.
class TestCertificates {
 public:
  TestCertificates();
  std::filesystem::path ca() const { return dir_.path() / "ca.crt"; }
  std::filesystem::path other_ca() const { return dir_.path() / "other-ca.crt"; }
  std::filesystem::path server_cert() const { return dir_.path() / "server.crt"; }
  std::filesystem::path server_key() const { return dir_.path() / "server.key"; }
  std::filesystem::path client_cert() const { return dir_.path() / "client.crt"; }
  std::filesystem::path client_key() const { return dir_.path() / "client.key"; }

 private:
  TempDir dir_;
};

class RedisServer {
 public:
  // `extra_args` are passed to redis-server (e.g. {"--requirepass", "pw"}).
  // With `tls` it listens only for TLS (--tls-port, --port 0), with the
  // server certificate and CA of `tls->certificates`; the test's own
  // connections present the client certificate.
  struct Tls {
    const TestCertificates* certificates;
    bool require_client_certificate = false;  // tls-auth-clients
  };
  explicit RedisServer(std::vector<std::string> extra_args = {},
                       std::optional<Tls> tls = std::nullopt);
  ~RedisServer();

  int port() const { return port_; }
  // redis://127.0.0.1:port, or for TLS rediss://127.0.0.1:port?cacert=...
  // with the client certificate.
  std::string url() const;

  // Starts again on the same port (after stop() or kill()).
  void start();
  // SIGTERM and wait.
  void stop();
  // SIGKILL and wait: the abrupt death of the server.
  void kill();

  // This server's address, with the password if it has one.
  redis::Endpoint endpoint() const;
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
  std::optional<Tls> tls_;
  std::string password_;
  int port_ = 0;
  ChildProcess process_;
};

}  // namespace headway::test

namespace headway::test {

// A real Redis Sentinel (redis-server --sentinel) on a free loopback port
// watching `master` as "mymaster", quorum 1, declaring it down after 500 ms,
// so that a test can kill the master and await the failover. With
// `certificates` it listens only for TLS and reaches the master over TLS
// (which then needs --tls-replication yes).
class RedisSentinel {
 public:
  explicit RedisSentinel(const RedisServer& master, const TestCertificates* certificates = nullptr);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  int port() const { return port_; }
  static constexpr const char* kMasterName = "mymaster";
  // The master's port as this Sentinel names it now; 0 when it cannot say.
  int master_port() const;
  // How many replicas of the master this Sentinel knows.
  std::size_t known_replicas() const;

 private:
  redis::CommandResult command(const std::vector<std::string_view>& args) const;
  TempDir dir_;
  const TestCertificates* certificates_;
  int port_ = 0;
  ChildProcess process_;
};

// Starts `replica` as a replica of `master` and waits until its link is up;
// throws if it never comes up.
void replicate(const RedisServer& replica, const RedisServer& master);

}  // namespace headway::test
