#include "support/redis_server.hpp"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace headway::test {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path.string());
}

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_command(argv);
  if (result.status != 0)
    throw std::runtime_error("openssl " + args.front() + " failed: " + result.err);
}

}  // namespace

TestCertificates::TestCertificates() {
  const auto at = [this](const char* name) { return (dir_.path() / name).string(); };
  const std::vector<std::string> ec_key{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                        "-nodes"};
  const auto make_ca = [&](const char* name) {
    std::vector<std::string> args{"req", "-x509"};
    args.insert(args.end(), ec_key.begin(), ec_key.end());
    args.insert(args.end(), {"-keyout", at((std::string(name) + ".key").c_str()), "-out",
                             at((std::string(name) + ".crt").c_str()), "-days", "2", "-subj",
                             std::string("/CN=headway test ") + name});
    openssl(args);
  };
  make_ca("ca");
  make_ca("other-ca");
  const auto make_signed = [&](const std::string& name, const std::string& extensions) {
    write_file(dir_.path() / (name + ".ext"), extensions);
    std::vector<std::string> request{"req"};
    request.insert(request.end(), ec_key.begin(), ec_key.end());
    request.insert(request.end(), {"-keyout", at((name + ".key").c_str()), "-out",
                                   at((name + ".csr").c_str()), "-subj", "/CN=headway " + name});
    openssl(request);
    openssl({"x509", "-req", "-in", at((name + ".csr").c_str()), "-CA", at("ca.crt"), "-CAkey",
             at("ca.key"), "-CAcreateserial", "-out", at((name + ".crt").c_str()), "-days", "2",
             "-extfile", at((name + ".ext").c_str())});
  };
  make_signed("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  make_signed("client", "extendedKeyUsage=clientAuth\n");
}

RedisServer::RedisServer(std::vector<std::string> extra_args, std::optional<Tls> tls)
    : extra_args_(std::move(extra_args)), tls_(tls) {
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
                                   tls_ ? "0" : std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path().string()};
  if (tls_) {
    const auto& certificates = *tls_->certificates;
    argv.insert(argv.end(), {"--tls-port", std::to_string(port_), "--tls-cert-file",
                             certificates.server_cert().string(), "--tls-key-file",
                             certificates.server_key().string(), "--tls-ca-cert-file",
                             certificates.ca().string(), "--tls-auth-clients",
                             tls_->require_client_certificate ? "yes" : "no"});
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = ChildProcess::spawn(argv, dir_.path() / "redis.log");
  const bool ready = eventually([&] {
    if (!process_.running() || process_.poll())
      return true;  // exited: stop waiting
    std::string error;
    auto connection = redis::Connection::open(endpoint(), {}, error);
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

redis::Endpoint RedisServer::endpoint() const {
  redis::Endpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port_;
  endpoint.password = password_;
  if (tls_) {
    endpoint.tls = true;
    endpoint.tls_options.ca_file = tls_->certificates->ca().string();
    endpoint.tls_options.cert_file = tls_->certificates->client_cert().string();
    endpoint.tls_options.key_file = tls_->certificates->client_key().string();
  }
  return endpoint;
}

std::string RedisServer::url() const {
  if (!tls_)
    return "redis://127.0.0.1:" + std::to_string(port_);
  const auto& certificates = *tls_->certificates;
  return "rediss://127.0.0.1:" + std::to_string(port_) + "?cacert=" + certificates.ca().string() +
         "&cert=" + certificates.client_cert().string() +
         "&key=" + certificates.client_key().string();
}

std::unique_ptr<redis::Connection> RedisServer::connect() const {
  std::string error;
  auto connection = redis::Connection::open(endpoint(), {}, error);
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

namespace headway::test {

RedisSentinel::RedisSentinel(const RedisServer& master, const TestCertificates* certificates)
    : certificates_(certificates) {
  port_ = free_loopback_port();
  const auto config = dir_.path() / "sentinel.conf";
  const std::string listen = certificates
                                 ? "port 0\ntls-port " + std::to_string(port_) +
                                       "\ntls-cert-file " + certificates->server_cert().string() +
                                       "\ntls-key-file " + certificates->server_key().string() +
                                       "\ntls-ca-cert-file " + certificates->ca().string() +
                                       "\ntls-auth-clients no\ntls-replication yes\n"
                                 : "port " + std::to_string(port_) + "\n";
  write_file(config, listen +
                         "bind 127.0.0.1\n"
                         "dir " +
                         dir_.path().string() + "\nsentinel monitor " + kMasterName +
                         " 127.0.0.1 " + std::to_string(master.port()) +
                         " 1\n"
                         "sentinel down-after-milliseconds " +
                         kMasterName + " 500\nsentinel failover-timeout " + kMasterName +
                         " 5000\n");
  process_ = ChildProcess::spawn({"redis-server", config.string(), "--sentinel"},
                                 dir_.path() / "sentinel.log");
  if (!eventually([&] { return master_port() == master.port() || !process_.running(); }) ||
      !process_.running())
    throw std::runtime_error("redis-server --sentinel did not start; see " +
                             (dir_.path() / "sentinel.log").string());
}

RedisSentinel::~RedisSentinel() {
  if (process_.running()) {
    process_.signal(SIGTERM);
    process_.wait();
  }
}

redis::CommandResult RedisSentinel::command(const std::vector<std::string_view>& args) const {
  redis::Endpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port_;
  if (certificates_) {
    endpoint.tls = true;
    endpoint.tls_options.ca_file = certificates_->ca().string();
  }
  std::string error;
  auto connection = redis::Connection::open(endpoint, {}, error);
  if (!connection) {
    redis::CommandResult failed;
    failed.error = error;
    return failed;
  }
  return connection->command(args);
}

int RedisSentinel::master_port() const {
  auto answer = command({"SENTINEL", "get-master-addr-by-name", kMasterName});
  if (!answer.ok() || answer.reply->type != REDIS_REPLY_ARRAY || answer.reply->elements != 2)
    return 0;
  return std::atoi(answer.reply->element[1]->str);
}

std::size_t RedisSentinel::known_replicas() const {
  auto answer = command({"SENTINEL", "replicas", kMasterName});
  return answer.ok() && answer.reply->type == REDIS_REPLY_ARRAY ? answer.reply->elements : 0;
}

void replicate(const RedisServer& replica, const RedisServer& master) {
  replica.command({"REPLICAOF", "127.0.0.1", std::to_string(master.port())});
  const bool up = eventually([&] {
    auto info = replica.command({"INFO", "replication"});
    return std::string_view(info.reply->str, info.reply->len).find("master_link_status:up") !=
           std::string_view::npos;
  });
  if (!up)
    throw std::runtime_error("the replica never caught up with its master");
}

}  // namespace headway::test
