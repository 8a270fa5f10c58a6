#include <spdlog/spdlog.h>

#include <array>
#include <cstring>

#include "core/progress_record.hpp"
#include "server/stream_pump.hpp"
#include "server/streams.hpp"

namespace headway::server {
namespace {

// Writes SSE frames to a raw socket; see pump_stream for the contract.
class SseTransport {
 public:
  static constexpr bool kSendsPings = true;

  SseTransport(tcp::socket& socket, Duration write_timeout)
      : socket_(socket), deadline_(socket.get_executor(), write_timeout) {}

  awaitable<error_code> progress(const Update& update) {
    const std::string& json = *update.json;
    std::string head = "id: " + std::to_string(update.seq) + "\nevent: progress\n";
    if (std::memchr(json.data(), '\n', json.size()) == nullptr) {
      head += "data: ";
      std::array<asio::const_buffer, 3> buffers{asio::buffer(head), asio::buffer(json),
                                                asio::buffer("\n\n", 2)};
      co_return co_await write(buffers);
    }
    // A record written with line breaks by some outside writer: one data line each.
    std::size_t begin = 0;
    while (begin <= json.size()) {
      auto end = json.find('\n', begin);
      if (end == std::string::npos)
        end = json.size();
      head += "data: " + json.substr(begin, end - begin) + "\n";
      begin = end + 1;
    }
    head += '\n';
    co_return co_await write(std::array<asio::const_buffer, 1>{asio::buffer(head)});
  }

  awaitable<error_code> done(JobStatus status) {
    std::string frame = "event: done\ndata: {\"status\":\"";
    frame += to_string(status);
    frame += "\"}\n\n";
    co_return co_await write(std::array<asio::const_buffer, 1>{asio::buffer(frame)});
  }

  awaitable<error_code> ping() {
    co_return co_await write(std::array<asio::const_buffer, 1>{asio::buffer(": ping\n\n", 8)});
  }

  template <typename Buffers>
  awaitable<error_code> write(const Buffers& buffers) {
    deadline_.arm(socket_);
    auto [ec, n] = co_await asio::async_write(socket_, buffers, use_tuple);
    (void)n;
    deadline_.disarm();
    co_return ec;
  }

  bool timed_out() const { return deadline_.expired(); }

 private:
  tcp::socket& socket_;
  WriteDeadline deadline_;
};

std::string sse_preamble(const Services& services, const std::string& job_id,
                         const std::string& extra_headers) {
  std::string out =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Content-Encoding: identity\r\n"
      "Connection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  out += "retry: " + std::to_string(services.config.sse_retry.count()) + "\n\n";
  out += "event: connected\ndata: {\"job_id\":";
  append_json_string(out, job_id);
  out += "}\n\n";
  return out;
}

// Notices the client leaving while the stream is idle (no write would fail
// until the next ping otherwise). Anything the client sends is ignored.
awaitable<void> watch_for_close(std::shared_ptr<tcp::socket> socket,
                                std::shared_ptr<StreamMailbox> mailbox) {
  std::array<char, 256> sink;
  for (;;) {
    auto [ec, n] = co_await socket->async_read_some(asio::buffer(sink), use_tuple);
    (void)n;
    if (ec) {
      mailbox->close();
      co_return;
    }
  }
}

}  // namespace

awaitable<void> serve_sse(Services& services, ConnectionGuard& connection,
                          beast::tcp_stream& stream, std::string job_id, std::int64_t last_event_id,
                          std::string extra_headers) {
  auto executor = co_await asio::this_coro::executor;
  auto socket = std::make_shared<tcp::socket>(stream.release_socket());
  auto mailbox = std::make_shared<StreamMailbox>(executor, last_event_id, services.metrics);
  SseTransport transport(*socket, services.config.write_timeout);
  services.metrics.stream_opened(Transport::sse);
  connection.on_drain([mailbox] { mailbox->close(); });

  // `connected` goes out before the stream touches Redis.
  const std::string preamble = sse_preamble(services, job_id, extra_headers);
  if (!co_await transport.write(std::array<asio::const_buffer, 1>{asio::buffer(preamble)})) {
    services.metrics.event_sent(EventType::connected);
    asio::co_spawn(executor, watch_for_close(socket, mailbox), asio::detached);
    auto topic = services.fanout.join(job_id, mailbox);
    co_await pump_stream(transport, *mailbox, services.metrics, services.config.ping_interval);
    services.fanout.leave(topic, mailbox);
  }
  if (transport.timed_out()) {
    services.metrics.slow_drops().Increment();
    spdlog::info("stream for job {} dropped: the client accepted no data for {} ms", job_id,
                 services.config.write_timeout.count());
  }
  error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
  services.metrics.stream_closed(Transport::sse);
}

}  // namespace headway::server
