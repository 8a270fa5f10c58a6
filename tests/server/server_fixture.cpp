#include "server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "auth/accounts.hpp"
#include "auth/password.hpp"
#include "redis/record_script.hpp"

namespace headway::test {
namespace {

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error("send failed");
    sent += static_cast<std::size_t>(n);
  }
}

// Reads into `buffer`; false at EOF, error or timeout.
bool read_some(int fd, std::string& buffer, std::chrono::milliseconds timeout, bool& eof) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char chunk[16384];
  const auto n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof = true;
    return false;
  }
  buffer.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." (without the blank line).
void parse_head(const std::string& head, int& status, std::map<std::string, std::string>& headers) {
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  status = std::atoi(line.substr(9, 3).c_str());
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    headers[lower(line.substr(0, colon))] = value;
  }
}

}  // namespace

int connect_loopback(int port, int receive_buffer) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  if (receive_buffer > 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

ServeProcess::ServeProcess(const RedisServer& redis, std::vector<std::string> extra_args,
                           ServeOptions options)
    : redis_(redis), extra_args_(std::move(extra_args)), options_(std::move(options)) {
  port_ = free_loopback_port();
  if (options_.seed_admin) {
    auto store = open_store(db_url());
    auto& accounts = store->auth();
    if (!accounts.get_user("tester"))
      add_test_user(accounts, "tester", store::Role::admin, "tester-password");
    auto issued = auth::issue_token(accounts, "tester", std::nullopt, 0);
    if (!issued)
      throw std::runtime_error("cannot issue the test token: " + issued.error().message);
    token_ = issued->secret;
  }
  start();
}

ServeProcess::~ServeProcess() {
  if (process_.running()) {
    process_.signal(SIGKILL);
    process_.wait();
  }
}

std::string headway_bin() {
  const char* bin = std::getenv("HEADWAY_BIN");
  if (bin == nullptr)
    throw std::runtime_error("HEADWAY_BIN is not set");
  return bin;
}

void ServeProcess::start() {
  std::vector<std::string> argv{headway_bin(),
                                "serve",
                                "--listen",
                                "127.0.0.1:" + std::to_string(port_),
                                "--redis",
                                options_.redis_url.empty() ? redis_.url() : options_.redis_url,
                                "--db",
                                db_url(),
                                "--threads",
                                "2",
                                "--log-level",
                                "info",
                                "--recorder-consumer",
                                options_.recorder_consumer};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = ChildProcess::spawn(argv, dir_.path() / "serve.log");
  const bool up = eventually([&] {
    try {
      // Healthy: both Redis connections and the job table are up, so a
      // test's first request never races the server's own start.
      return http_get(port_, "/api/generation/health/").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!up)
    throw std::runtime_error("headway serve did not start:\n" + log());
}

int ServeProcess::terminate() {
  process_.signal(SIGTERM);
  return process_.wait();
}

std::string ServeProcess::log() const {
  std::ifstream in(dir_.path() / "serve.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

HttpResponse http_request(int port, const std::string& raw_request) {
  const int fd = connect_loopback(port);
  HttpResponse response;
  std::string buffer;
  bool eof = false;
  try {
    send_all(fd, raw_request);
  } catch (...) {
    // The server may answer (431, 413) and close before reading everything.
  }
  for (int i = 0; i < 10000 && !eof; ++i) {
    if (!read_some(fd, buffer, 20s, eof))
      break;
  }
  ::close(fd);
  const auto end = buffer.find("\r\n\r\n");
  if (end == std::string::npos)
    throw std::runtime_error("no HTTP response: '" + buffer + "'");
  parse_head(buffer.substr(0, end), response.status, response.headers);
  response.body = buffer.substr(end + 4);
  return response;
}

HttpResponse http_send(int port, const std::string& method, const std::string& path,
                       const Headers& headers, const std::string& body) {
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  if (method != "GET" && method != "HEAD")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return http_request(port, request + "\r\n" + body);
}

HttpResponse http_get(int port, const std::string& path, const Headers& headers) {
  return http_send(port, "GET", path, headers);
}

Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

SseClient::SseClient(int port, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     int receive_buffer) {
  fd_ = connect_loopback(port, receive_buffer);
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  send_all(fd_, request + "\r\n");
}

SseClient::~SseClient() {
  ::close(fd_);
}

bool SseClient::fill(std::chrono::milliseconds timeout) {
  return !eof_ && read_some(fd_, buffer_, timeout, eof_);
}

bool SseClient::read_head(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!head_read_) {
    const auto end = buffer_.find("\r\n\r\n");
    if (end != std::string::npos) {
      parse_head(buffer_.substr(0, end), status_, headers_);
      buffer_.erase(0, end + 4);
      head_read_ = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(left))
      return false;
  }
  return true;
}

int SseClient::status() {
  read_head(20s);
  return status_;
}

const std::map<std::string, std::string>& SseClient::headers() {
  read_head(20s);
  return headers_;
}

std::optional<SseEvent> SseClient::next(std::chrono::milliseconds timeout, bool include_pings) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!read_head(timeout))
    return std::nullopt;
  for (;;) {
    const auto end = buffer_.find("\n\n");
    if (end != std::string::npos) {
      const std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      SseEvent event;
      bool any = false;
      std::istringstream lines(block);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind(": ping", 0) == 0) {
          event.event = "ping";
          any = include_pings;
        } else if (line.rfind("retry: ", 0) == 0) {
          retry_ = line.substr(7);
        } else if (line.rfind("event: ", 0) == 0) {
          event.event = line.substr(7);
          any = true;
        } else if (line.rfind("id: ", 0) == 0) {
          event.id = line.substr(4);
        } else if (line.rfind("data: ", 0) == 0) {
          event.data += line.substr(6);
        }
      }
      if (any)
        return event;
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(left))
      return std::nullopt;
  }
}

bool SseClient::closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    buffer_.clear();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    fill(left);
  }
  return true;
}

namespace {

// The write_record.lua call for one record (the record's text owned by the caller).
redis::RecordScriptCall script_call(const ProgressRecord& record, const std::string& json,
                                    bool boundary) {
  return {record.job_id, json, record.seq, to_string(record.status), boundary, 600, 100000};
}

}  // namespace

redis::Connection& RecordWriter::connection() {
  if (!connection_ || connection_->broken())
    connection_ = redis_.connect();
  return *connection_;
}

bool RecordWriter::write(const ProgressRecord& record, bool boundary) {
  const std::string json = to_json(record);
  auto run = redis::run_write_script(connection(), script_call(record, json, boundary));
  if (!run.result.ok()) {  // a connection from before a Redis restart: once more on a new one
    connection_ = redis_.connect();
    run = redis::run_write_script(*connection_, script_call(record, json, boundary));
  }
  if (!run.result.ok() || run.result.is_error_reply())
    throw std::runtime_error(run.error());
  return run.reply && run.reply->written;
}

void RecordWriter::write_together(const std::vector<ProgressRecord>& records, bool boundary) {
  auto& redis = connection();
  auto expect_ok = [](const redis::CommandResult& result) {
    if (!result.ok())
      throw std::runtime_error(result.error);
    if (result.is_error_reply())
      throw std::runtime_error(std::string(result.error_reply()));
  };
  expect_ok(redis.command({"MULTI"}));
  for (const auto& record : records) {
    const std::string json = to_json(record);
    expect_ok(redis::run_write_script(redis, script_call(record, json, boundary)).result);
  }
  expect_ok(redis.command({"EXEC"}));
}

ProgressRecord make_record(const std::string& job_id, std::int64_t seq, JobStatus status,
                           double overall) {
  ProgressRecord record;
  record.job_id = job_id;
  record.seq = seq;
  record.status = status;
  record.stage = "cpsat_solving";
  record.overall_progress = overall;
  record.stage_progress = overall;
  record.started_at = 1764355325.25;
  record.last_updated = 1764355325.25 + static_cast<double>(seq);
  return record;
}

double metric(const std::string& text, const std::string& sample) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(sample + " ", 0) == 0)
      return std::atof(line.substr(sample.size() + 1).c_str());
  }
  return 0;
}

store::User add_test_user(store::AuthStore& accounts, const std::string& name, store::Role role,
                          const std::string& password) {
  static std::mutex mutex;
  static std::map<std::string, std::string> hashes;  // password -> its hash
  store::User user;
  user.name = name;
  user.role = role;
  {
    std::lock_guard lock(mutex);
    auto& hash = hashes[password];
    if (hash.empty())
      hash = auth::hash_password(password);
    user.password_hash = hash;
  }
  auto created = accounts.create_user(user);
  if (!created)
    throw std::runtime_error("cannot add user " + name + ": " + created.error().message);
  return *created;
}

std::unique_ptr<store::JobStore> open_store(const std::string& url) {
  auto store = store::open_job_store(url);
  if (!store)
    throw std::runtime_error(store.error().message);
  return std::move(store.value());
}

store::Job make_job(const std::string& id) {
  store::Job job;
  job.id = id;
  job.owner = "alice";
  job.type = "external";
  return job;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.substr(6).c_str());
  }
  return -1;
}

}  // namespace headway::test
