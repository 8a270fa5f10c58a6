// The HTTP and WebSocket side of `headway serve`, driven as a client drives
// it: an in-process Server (one I/O thread, a private SQLite job table, a real
// redis-server, a web root) gets each input as the bytes of one connection —
// a request, pipelined requests, a WebSocket upgrade followed by frames, or
// anything else. The input may say @TOKEN@ and @JOB@, which become an admin's
// API token and the id of an existing job, so that inputs reach the handlers
// behind authentication.
//
// Besides "no crash" under ASan/UBSan in the server's threads, every answer
// must be well formed: no 500 (an exception escaped a handler), every error a
// JSON {"error", "detail"} object, and no body ever shows a file from outside
// the web root.
//
// Redis: $HEADWAY_FUZZ_REDIS_URL when set (scripts/fuzz.sh starts one), else
// a private redis-server started here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "auth/accounts.hpp"
#include "fuzz_check.hpp"
#include "server/server.hpp"
#include "store/job_store.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

constexpr std::string_view kSecret = "file-outside-the-web-root";

struct Harness {
  headway::test::TempDir dir;
  std::unique_ptr<headway::test::RedisServer> own_redis;
  std::unique_ptr<headway::server::Server> server;
  std::string token;
  std::string job_id;
  int port = 0;
};

Harness* harness = nullptr;

// A connection to the server. It accepts every connection (answering 503
// beyond its limit), so failing for a second is a finding; a single failure
// can come from a machine short of ephemeral ports and is retried.
int connect_loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
      return fd;
    std::perror("connect to the server");
    ::close(fd);
    std::this_thread::sleep_for(20ms);
  }
  FUZZ_CHECK(!"the server accepts connections");
  return -1;
}

// Sends `input` on a fresh connection, half-closes it and returns what the
// server sent until it closed the connection or fell silent for `quiet`
// (an open stream never closes by itself).
std::string send_and_receive(std::string_view input, std::chrono::milliseconds quiet) {
  const int fd = connect_loopback(harness->port);
  std::string received;
  std::size_t sent = 0;
  while (sent < input.size()) {
    const ssize_t n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;  // the server closed early (it refused the input): fine
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buffer[16384];
  for (;;) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(quiet.count())) <= 0)
      break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0)
      break;
    received.append(buffer, static_cast<std::size_t>(n));
    if (received.size() > (1 << 22))
      break;
  }
  ::close(fd);
  return received;
}

void check_error_body(const std::string& body) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(body, ec);
  FUZZ_CHECK(!ec && value.is_object());
  const auto* error = value.get_object().if_contains("error");
  const auto* detail = value.get_object().if_contains("detail");
  FUZZ_CHECK(error && error->is_string() && !error->get_string().empty());
  FUZZ_CHECK(detail && detail->is_string());
}

// Checks each response in `received` (several when requests were pipelined),
// up to a switch of protocols or a stream.
void check_responses(std::string_view received) {
  FUZZ_CHECK(received.find(kSecret) == std::string_view::npos);
  while (!received.empty()) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 22);
    parser.eager(true);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(received.data(), received.size()), ec);
    if (ec == http::error::need_more || !parser.is_header_done())
      return;  // cut off by the quiet time (a stream, a slow answer)
    if (ec)
      std::fprintf(stderr, "unparsable response: %s\n", ec.message().c_str());
    FUZZ_CHECK(!ec);
    const auto& response = parser.get();
    const unsigned status = response.result_int();
    if (status == 500)
      std::fprintf(stderr, "500: %s\n", response.body().c_str());
    FUZZ_CHECK(status != 500);
    if (status == 101)
      return;  // WebSocket frames follow
    if (response[http::field::content_type] == "text/event-stream")
      return;
    if (!parser.is_done())
      return;
    if (status >= 400 && response[http::field::content_type] == "application/json")
      check_error_body(response.body());
    received.remove_prefix(used);
    if (response.need_eof())
      return;
  }
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness = new Harness;
  const auto& dir = harness->dir.path();
  std::string redis_url;
  if (const char* url = std::getenv("HEADWAY_FUZZ_REDIS_URL"); url && *url) {
    redis_url = url;
  } else {
    harness->own_redis = std::make_unique<headway::test::RedisServer>();
    redis_url = harness->own_redis->url();
    // The harness lives until the process ends; its redis-server must not
    // outlive it (after a crash it does: prefer HEADWAY_FUZZ_REDIS_URL).
    std::atexit([] { harness->own_redis.reset(); });
  }
  write_file(dir / "web" / "index.html", "<!doctype html><title>headway</title>");
  write_file(dir / "web" / "assets" / "app-1a2b3c.js", "console.log('headway')");
  write_file(dir / "secret.txt", kSecret);
  write_file(dir / "web-secret" / "index.html", kSecret);
  std::filesystem::create_directory_symlink(dir / "web-secret", dir / "web" / "linked");

  const std::string db_url = "sqlite://" + (dir / "jobs.db").string();
  {
    auto store = headway::store::open_job_store(db_url);
    FUZZ_CHECK(store.has_value());
    auto& accounts = (*store)->auth();
    FUZZ_CHECK(
        headway::auth::create_user(accounts, "fuzz", headway::store::Role::admin, "fuzz-password")
            .has_value());
    auto issued = headway::auth::issue_token(accounts, "fuzz", std::nullopt, 0);
    FUZZ_CHECK(issued.has_value());
    harness->token = issued->secret;
  }

  auto config = headway::server::default_config();
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  config.redis_url = redis_url;
  config.database_url = db_url;
  config.threads = 1;
  config.web_root = (dir / "web").string();
  config.log_level = "off";
  config.idle_timeout = 2000ms;
  config.write_timeout = 2000ms;
  config.drain_timeout = 1000ms;
  config.max_body_bytes = 1 << 16;
  config.login_attempts = 1000000;
  harness->server = std::make_unique<headway::server::Server>(config);
  const std::string error = harness->server->start();
  if (!error.empty())
    std::fprintf(stderr, "the server did not start: %s\n", error.c_str());
  FUZZ_CHECK(error.empty());
  harness->port = harness->server->port();

  // An external job: it exists, and nothing ever runs it.
  const std::string body = R"({"type":"external"})";
  const std::string created = send_and_receive(
      "POST /api/generation-jobs/generate/ HTTP/1.1\r\nHost: fuzz\r\n"
      "Authorization: Bearer " +
          harness->token +
          "\r\nContent-Type: application/json\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body,
      5000ms);
  const auto id_at = created.find("\"id\":\"");
  if (id_at == std::string::npos)
    std::fprintf(stderr, "could not create the job: %s\n", created.c_str());
  FUZZ_CHECK(id_at != std::string::npos);
  harness->job_id = created.substr(id_at + 6, 36);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string input(headway::fuzz::as_text(data, size));
  input = replace_all(std::move(input), "@TOKEN@", harness->token);
  input = replace_all(std::move(input), "@JOB@", harness->job_id);
  check_responses(send_and_receive(input, 40ms));
  return 0;
}
