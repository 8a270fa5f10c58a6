#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/progress_record.hpp"
#include "store/job_store.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

// Helpers for driving `headway serve` over real loopback HTTP.
namespace headway::test {

using namespace std::chrono_literals;

// The SSE stream of one job.
inline std::string stream_path(const std::string& job_id) {
  return "/api/generation/stream/" + job_id + "/";
}

struct ServeOptions {
  std::string db_url{};                    // empty: a private SQLite file
  bool seed_admin = true;                  // add the admin "tester" with an API token first
  std::string recorder_consumer = "test";  // servers sharing a table each need their own
  std::string redis_url{};                 // empty: the RedisServer's url()
};

// The `headway` binary under test: $HEADWAY_BIN; throws when it is not set.
std::string headway_bin();

// `headway serve` ($HEADWAY_BIN) on a free port with a private SQLite job
// table, against `redis`. Waits until it answers; throws if it never does.
// Unless told otherwise it first adds an admin so the server agrees to
// start; its token is `token()`, ready as headers in `auth()`.
class ServeProcess {
 public:
  ServeProcess(const RedisServer& redis, std::vector<std::string> extra_args = {},
               ServeOptions options = {});
  ~ServeProcess();

  int port() const { return port_; }
  std::string db_url() const {
    return options_.db_url.empty() ? "sqlite://" + (dir_.path() / "jobs.db").string()
                                   : options_.db_url;
  }
  const std::string& token() const { return token_; }
  std::vector<std::pair<std::string, std::string>> auth() const {
    return {{"Authorization", "Bearer " + token_}};
  }
  const std::filesystem::path& dir() const { return dir_.path(); }
  pid_t pid() const { return process_.pid(); }
  ChildProcess& process() { return process_; }
  void start();
  // SIGTERM and wait; returns the exit status.
  int terminate();
  std::string log() const;

 private:
  const RedisServer& redis_;
  std::vector<std::string> extra_args_;
  ServeOptions options_;
  std::string token_;
  TempDir dir_;
  int port_ = 0;
  ChildProcess process_;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// A blocking TCP socket connected to 127.0.0.1:port (with that receive
// buffer size when > 0); throws when it cannot connect.
int connect_loopback(int port, int receive_buffer = 0);

// One request on a fresh connection (Connection: close); throws on I/O errors.
HttpResponse http_request(int port, const std::string& raw_request);
// `method path` with these headers, and the body with its Content-Length
// unless the method is GET or HEAD.
HttpResponse http_send(int port, const std::string& method, const std::string& path,
                       const Headers& headers = {}, const std::string& body = "");
HttpResponse http_get(int port, const std::string& path, const Headers& headers = {});
Headers bearer(const std::string& token);
// Seconds since the epoch, as the job table and tokens store them.
double now_seconds();

struct SseEvent {
  std::string event;  // "ping" for a `: ping` comment
  std::string id;
  std::string data;
};

// A blocking SSE client on a raw socket. Every read is bounded by a timeout.
class SseClient {
 public:
  SseClient(int port, const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& headers = {},
            int receive_buffer = 0);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // The response status and headers (read on first use).
  int status();
  const std::map<std::string, std::string>& headers();
  // The next event (pings skipped unless `include_pings`); nullopt at EOF or
  // after `timeout` with nothing.
  std::optional<SseEvent> next(std::chrono::milliseconds timeout = 20s, bool include_pings = false);
  // True once the server closed the connection (waits up to `timeout`).
  bool closed(std::chrono::milliseconds timeout = 20s);
  std::string retry_hint() const { return retry_; }

 private:
  bool fill(std::chrono::milliseconds timeout);
  bool read_head(std::chrono::milliseconds timeout);
  int fd_ = -1;
  std::string buffer_;
  bool head_read_ = false;
  bool eof_ = false;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string retry_;
};

// Writes records the way the Tracker does (write_record.lua: SET + PUBLISH,
// + XADD for boundaries).
class RecordWriter {
 public:
  explicit RecordWriter(const RedisServer& redis) : redis_(redis) {}
  // Returns whether the script wrote it (false: an older or equal seq).
  bool write(const ProgressRecord& record, bool boundary = false);
  // Writes every record in one MULTI/EXEC: Redis runs all the writes (and
  // their PUBLISHes) at once, so the jobs change at the same moment.
  void write_together(const std::vector<ProgressRecord>& records, bool boundary = false);

 private:
  redis::Connection& connection();
  const RedisServer& redis_;
  std::unique_ptr<redis::Connection> connection_;  // reopened after Redis restarts
};

ProgressRecord make_record(const std::string& job_id, std::int64_t seq,
                           JobStatus status = JobStatus::running, double overall = 0);

// The value of a sample in Prometheus text, e.g. name{a="b"}; 0 when absent.
double metric(const std::string& text, const std::string& sample);

// Opens the server's job table from the test (SQLite in WAL mode allows it).
std::unique_ptr<store::JobStore> open_store(const std::string& url);

// Adds a user as `headway user add` does, except that the password's hash
// (at the default cost: 128 MiB and most of a second) is made once per
// password per test program, not once per user: the fixtures add the same
// users over and over. Throws on failure.
store::User add_test_user(store::AuthStore& accounts, const std::string& name, store::Role role,
                          const std::string& password);
store::Job make_job(const std::string& id);

// Resident set size of a process in KiB.
long rss_kib(pid_t pid);

}  // namespace headway::test
