#include "stream_pool.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "clock.hpp"
#include "publisher.hpp"

namespace headway::load {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Ready streams taken from the epoll set per wake-up.
constexpr int kBatch = 1024;

}  // namespace

struct StreamPool::Stream {
  explicit Stream(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::string request;  // alive until the request is written
  std::array<char, 2048> buffer{};
  client::SseReader reader;  // holds the bytes of an unfinished head or event
  std::int64_t last_seq = 0;
  bool has_snapshot = false;
  bool ended = false;
};

StreamPool::StreamPool(Config config)
    : config_(std::move(config)),
      endpoint_(asio::ip::make_address_v4("127.0.0.1"), config_.port),
      ready_set_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event interest{};
  interest.events = EPOLLIN;
  interest.data.ptr = nullptr;  // the wake-up, not a stream
  ::epoll_ctl(ready_set_, EPOLL_CTL_ADD, wake_, &interest);
}

StreamPool::~StreamPool() {
  stop();
  ::close(wake_);
  ::close(ready_set_);
}

void StreamPool::start() {
  results_.latency_ns.reserve(1 << 20);
  streams_.reserve(config_.streams);
  asio::post(io_, [this] { open_next(); });
  thread_ = std::thread([this] { run(); });
}

// The tool shares the two cores with the server it measures, so it keeps out
// of the server's way. Every open stream is in one level-triggered epoll set
// that the thread waits on directly (one recvmsg per ready stream, no
// asynchronous operation per stream), and after each round of reading it
// pauses for `read_interval`: a fan-out's events then arrive while nobody
// waits, so the server's sendto wakes no thread and is not preempted by this
// one hundreds of times per update. Latency is the kernel's arrival stamp, so
// the pause does not show in it. The io_context, which opens and closes
// streams, runs between waits: polled every millisecond while streams are
// opening, else woken through `wake_`.
void StreamPool::run() {
  std::array<epoll_event, kBatch> ready{};
  while (!stopping_.load()) {
    io_.restart();
    io_.poll();
    const bool opening = opening_ > 0 || next_to_open_ < config_.streams;
    const int count = ::epoll_wait(ready_set_, ready.data(), kBatch, opening ? 1 : -1);
    if (count > 0 && !opening && config_.read_interval.count() > 0)
      std::this_thread::sleep_for(config_.read_interval);
    for (int i = 0; i < count; ++i) {
      void* tag = ready[static_cast<std::size_t>(i)].data.ptr;
      if (tag == nullptr) {
        std::uint64_t ignored = 0;
        [[maybe_unused]] const auto n = ::read(wake_, &ignored, sizeof ignored);
      } else {
        on_readable(*static_cast<Stream*>(tag));
      }
    }
  }
}

void StreamPool::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_, &one, sizeof one);
}

void StreamPool::close_all() {
  wake();
  asio::post(io_, [this] {
    closing_ = true;
    for (auto& stream : streams_) {
      error_code ignored;
      stream->socket.close(ignored);
    }
  });
}

void StreamPool::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable())
    thread_.join();
}

void StreamPool::open_next() {
  while (!closing_ && opening_ < config_.open_concurrency && next_to_open_ < config_.streams) {
    const std::size_t index = next_to_open_++;
    ++opening_;
    auto& stream = *streams_.emplace_back(std::make_unique<Stream>(io_));
    const std::string& job_id = config_.job_ids[index % config_.job_ids.size()];
    stream.request = "GET /api/generation/stream/" + job_id +
                     "/ HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(config_.port) +
                     "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n";
    if (!config_.token.empty())
      stream.request += "Authorization: Bearer " + config_.token + "\r\n";
    stream.request += "\r\n";
    stream.socket.async_connect(endpoint_, [this, &stream](error_code ec) {
      if (ec)
        return fail(stream, 0);
      on_connected(stream);
    });
  }
}

void StreamPool::on_connected(Stream& stream) {
  asio::async_write(
      stream.socket, asio::buffer(stream.request), [this, &stream](error_code ec, std::size_t) {
        std::string().swap(stream.request);
        if (ec)
          return fail(stream, 0);
        // The kernel stamps each packet as it reaches the socket,
        // so latency excludes the time this single thread spends
        // on the other 999 streams of a fan-out before this one.
        const int on = 1;
        setsockopt(stream.socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
        epoll_event interest{};
        interest.events = EPOLLIN;
        interest.data.ptr = &stream;
        if (::epoll_ctl(ready_set_, EPOLL_CTL_ADD, stream.socket.native_handle(), &interest) != 0)
          return fail(stream, 0);
      });
}

void StreamPool::on_readable(Stream& stream) {
  if (stream.ended)
    return;
  // One read per readiness: the set is level-triggered, so what is left is
  // reported again on the next round.
  std::int64_t received = now_ns();
  const ssize_t n = receive(stream, received);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) {
    if (!stream.reader.head_read())
      return fail(stream, 0);
    ++results_.closed_early;
    return finish(stream);
  }
  consume(stream, std::string_view(stream.buffer.data(), static_cast<std::size_t>(n)), received);
}

ssize_t StreamPool::receive(Stream& stream, std::int64_t& received_ns) {
  iovec data{stream.buffer.data(), stream.buffer.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec))> control{};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  const ssize_t n = ::recvmsg(stream.socket.native_handle(), &message, MSG_DONTWAIT);
  if (n <= 0)
    return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec at{};
      std::memcpy(&at, CMSG_DATA(c), sizeof at);
      received_ns = static_cast<std::int64_t>(at.tv_sec) * 1'000'000'000 + at.tv_nsec;
    }
  }
  return n;
}

void StreamPool::consume(Stream& stream, std::string_view bytes, std::int64_t received_ns) {
  const bool had_head = stream.reader.head_read();
  const auto result = stream.reader.feed(bytes, [&](const client::StreamEvent& event) {
    handle_event(stream, event, received_ns);
    return !stream.ended;
  });
  if (result == client::SseReader::Result::head_failed)
    return fail(stream, stream.reader.status());
  if (!had_head && stream.reader.head_read()) {
    ++results_.opened;
    ++opened_;
    ++settled_;
    --opening_;
    open_next();
  }
}

void StreamPool::handle_event(Stream& stream, const client::StreamEvent& event,
                              std::int64_t received_ns) {
  if (event.type == "ping") {
    ++results_.pings;
  } else if (event.type == "progress") {
    const std::int64_t seq = client::parse_int(event.id).value_or(0);
    if (seq <= stream.last_seq) {
      ++results_.out_of_order;
      return;
    }
    if (stream.has_snapshot && seq > stream.last_seq + 1)
      results_.gaps += static_cast<std::uint64_t>(seq - stream.last_seq - 1);
    stream.last_seq = seq;
    if (!stream.has_snapshot) {
      stream.has_snapshot = true;
      ++results_.snapshots;
      ++ready_;
    }
    if (const auto at = event.data.find(kSentKey); at != std::string_view::npos) {
      const auto sent = client::parse_int(event.data.substr(at + kSentKey.size()));
      if (sent) {
        ++results_.delivered;
        ++delivered_;
        results_.latency_ns.push_back(received_ns - *sent);
      }
    }
  } else if (event.type == "done") {
    ++results_.done;
    ++done_;
    results_.done_at_ns.push_back(received_ns);
    finish(stream);
  }
}

void StreamPool::fail(Stream& stream, int status) {
  ++results_.failed;
  ++results_.failed_status[status];
  ++settled_;
  --opening_;
  finish(stream);
  open_next();
}

void StreamPool::finish(Stream& stream) {
  stream.ended = true;
  ::epoll_ctl(ready_set_, EPOLL_CTL_DEL, stream.socket.native_handle(), nullptr);
  error_code ignored;
  stream.socket.close(ignored);
  stream.reader.release();
}

}  // namespace headway::load
