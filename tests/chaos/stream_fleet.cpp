#include "chaos/stream_fleet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <array>
#include <cerrno>
#include <cstring>

#include "client/event_stream.hpp"

namespace headway::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatch = 256;

std::string done_status_of(std::string_view data) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(data, ec);
  if (ec || !value.is_object())
    return "?";
  const auto* status = value.as_object().if_contains("status");
  return status != nullptr && status->is_string() ? std::string(status->as_string()) : "?";
}

}  // namespace

struct StreamFleet::Stream {
  enum class Phase { waiting, connecting, reading, finished };
  FleetStream spec;
  std::size_t server = 0;
  int fd = -1;
  Phase phase = Phase::waiting;
  bool answered = false;  // this connection got its 200/101
  bool opening = false;   // counted in opening_
  Clock::time_point retry_at{};
  std::string request;
  std::size_t request_sent = 0;
  client::SseReader sse;
  client::WsReader ws;
  int attempts = 0;
  StreamOutcome outcome;
};

StreamFleet::StreamFleet(FleetConfig config, std::vector<FleetStream> streams)
    : config_(std::move(config)), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  for (auto& spec : streams) {
    auto stream = std::make_unique<Stream>();
    stream->server = spec.server % config_.ports.size();
    stream->outcome.job_id = spec.job_id;
    stream->outcome.websocket = spec.websocket;
    stream->spec = std::move(spec);
    streams_.push_back(std::move(stream));
  }
}

StreamFleet::~StreamFleet() {
  stop();
  ::close(epoll_);
}

void StreamFleet::start() {
  thread_ = std::thread([this] { run(); });
}

void StreamFleet::stop() {
  stopping_ = true;
  if (thread_.joinable())
    thread_.join();
}

std::size_t StreamFleet::connected() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& stream : streams_)
    count += stream->outcome.connections > 0 ? 1 : 0;
  return count;
}

std::size_t StreamFleet::finished() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& stream : streams_)
    count += stream->phase == Stream::Phase::finished ? 1 : 0;
  return count;
}

std::size_t StreamFleet::done() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& stream : streams_)
    count += stream->outcome.done_status ? 1 : 0;
  return count;
}

std::vector<StreamOutcome> StreamFleet::outcomes() const {
  std::lock_guard lock(mutex_);
  std::vector<StreamOutcome> all;
  for (const auto& stream : streams_)
    all.push_back(stream->outcome);
  return all;
}

// Level-triggered epoll over every open socket; streams waiting to
// (re)connect are looked at on every turn, at most every 10 ms.
void StreamFleet::run() {
  std::array<epoll_event, kBatch> ready{};
  while (!stopping_.load()) {
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      for (auto& stream : streams_) {
        if (opening_ >= config_.open_concurrency)
          break;
        if (stream->phase == Stream::Phase::waiting && stream->retry_at <= now)
          open(*stream);
      }
    }
    const int count = ::epoll_wait(epoll_, ready.data(), kBatch, 10);
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) {
      const auto& event = ready[static_cast<std::size_t>(i)];
      on_ready(*static_cast<Stream*>(event.data.ptr), event.events);
    }
  }
  std::lock_guard lock(mutex_);
  for (auto& stream : streams_)
    close_socket(*stream);
}

void StreamFleet::open(Stream& stream) {
  if (stream.attempts >= config_.max_attempts) {
    stream.phase = Stream::Phase::finished;
    stream.outcome.last_error +=
        " (gave up after " + std::to_string(stream.attempts) + " attempts)";
    return;
  }
  ++stream.attempts;
  const int port = config_.ports[stream.server];
  const std::string host = "127.0.0.1:" + std::to_string(port);
  const std::string auth = "Bearer " + config_.token;
  const std::int64_t resume = stream.outcome.last_seq;
  if (stream.spec.websocket) {
    std::string path = "/api/generation/ws/" + stream.spec.job_id + "/";
    if (resume > 0)
      path += "?last_event_id=" + std::to_string(resume);
    stream.request = client::websocket_request(host, path, {{"Authorization", auth}});
  } else {
    stream.request = "GET /api/generation/stream/" + stream.spec.job_id +
                     "/ HTTP/1.1\r\nHost: " + host +
                     "\r\nAccept: text/event-stream\r\nAuthorization: " + auth + "\r\n";
    if (resume > 0)
      stream.request += "Last-Event-ID: " + std::to_string(resume) + "\r\n";
    stream.request += "\r\n";
  }
  stream.request_sent = 0;
  stream.sse = client::SseReader();
  stream.ws = client::WsReader();
  stream.answered = false;
  stream.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (stream.fd < 0)
    return lost(stream, std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  stream.phase = Stream::Phase::connecting;
  stream.opening = true;
  ++opening_;
  if (::connect(stream.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS)
    return lost(stream, std::string("connect: ") + std::strerror(errno));
  epoll_event interest{};
  interest.events = EPOLLOUT | EPOLLIN;
  interest.data.ptr = &stream;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, stream.fd, &interest) != 0)
    return lost(stream, std::string("epoll_ctl: ") + std::strerror(errno));
}

void StreamFleet::on_ready(Stream& stream, std::uint32_t events) {
  if (stream.fd < 0)
    return;
  if (stream.phase == Stream::Phase::connecting && stream.request_sent < stream.request.size()) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(stream.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0)
      return lost(stream, std::string("connect: ") + std::strerror(error));
    if ((events & EPOLLOUT) == 0)
      return;
    const auto n = ::send(stream.fd, stream.request.data() + stream.request_sent,
                          stream.request.size() - stream.request_sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return lost(stream, std::string("send: ") + std::strerror(errno));
    if (n > 0)
      stream.request_sent += static_cast<std::size_t>(n);
    if (stream.request_sent < stream.request.size())
      return;
    epoll_event interest{};
    interest.events = EPOLLIN;
    interest.data.ptr = &stream;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, stream.fd, &interest);
    return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0)
    on_readable(stream);
}

void StreamFleet::on_readable(Stream& stream) {
  std::array<char, 16384> buffer{};
  const auto n = ::recv(stream.fd, buffer.data(), buffer.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n == 0)
    return lost(stream, "closed by the server before done");
  if (n < 0)
    return lost(stream, std::string("recv: ") + std::strerror(errno));
  const std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
  bool head_failed = false;
  bool closed = false;
  if (stream.spec.websocket) {
    const auto result = stream.ws.feed(bytes, [&](std::uint8_t opcode, std::string_view payload) {
      if (opcode == client::WsReader::kText) {
        const auto event = client::parse_ws_event(payload);
        if (!event) {
          stream.outcome.last_error = "a WebSocket message that is not an event";
          return true;
        }
        return on_event(stream, event->type, event->id, event->data);
      }
      if (opcode == client::WsReader::kPing) {
        const auto pong = client::websocket_client_frame(client::WsReader::kPong, payload);
        ::send(stream.fd, pong.data(), pong.size(), MSG_NOSIGNAL);
      } else if (opcode == client::WsReader::kClose) {
        const auto echo = client::websocket_client_frame(client::WsReader::kClose, payload);
        ::send(stream.fd, echo.data(), echo.size(), MSG_NOSIGNAL);
        closed = true;
        return false;
      }
      return true;
    });
    head_failed = result == client::WsReader::Result::head_failed;
    if (result == client::WsReader::Result::protocol_error)
      return lost(stream, "a malformed WebSocket frame");
  } else {
    const auto result = stream.sse.feed(bytes, [&](const client::StreamEvent& event) {
      return on_event(stream, event.type, event.id, event.data);
    });
    head_failed = result == client::SseReader::Result::head_failed;
  }
  if (head_failed) {
    const int status = stream.spec.websocket ? stream.ws.status() : stream.sse.status();
    return lost(stream, "answered " + std::to_string(status));
  }
  if (stream.spec.websocket ? stream.ws.head_read() : stream.sse.head_read())
    mark_answered(stream);
  if (stream.phase == Stream::Phase::finished)
    return close_socket(stream);
  if (closed)
    lost(stream, "closed by the server before done");
}

bool StreamFleet::on_event(Stream& stream, std::string_view type, std::string_view id,
                           std::string_view data) {
  if (type == "progress") {
    const std::int64_t seq = client::parse_int(id).value_or(0);
    ++stream.outcome.progress_events;
    if (seq <= stream.outcome.last_seq)
      ++stream.outcome.not_increasing;
    else
      stream.outcome.last_seq = seq;
    return true;
  }
  if (type == "done") {
    // The socket closes once the reader is done with its buffer (on_readable).
    stream.outcome.done_status = done_status_of(data);
    stream.phase = Stream::Phase::finished;
    return false;
  }
  return true;
}

void StreamFleet::mark_answered(Stream& stream) {
  if (stream.answered)
    return;
  stream.answered = true;
  ++stream.outcome.connections;
  stop_opening(stream);
}

void StreamFleet::stop_opening(Stream& stream) {
  if (stream.opening)
    --opening_;
  stream.opening = false;
}

void StreamFleet::lost(Stream& stream, const std::string& why) {
  stop_opening(stream);
  close_socket(stream);
  ++stream.outcome.reconnects;
  stream.outcome.last_error = why;
  stream.server = (stream.server + 1) % config_.ports.size();
  stream.phase = Stream::Phase::waiting;
  stream.retry_at = Clock::now() + config_.reconnect_delay;
}

void StreamFleet::close_socket(Stream& stream) {
  if (stream.fd < 0)
    return;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, stream.fd, nullptr);
  ::close(stream.fd);
  stream.fd = -1;
  stream.sse.release();
  stream.ws.release();
}

}  // namespace headway::test
