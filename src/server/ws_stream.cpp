#include <spdlog/spdlog.h>
#include <boost/beast/websocket.hpp>

#include "core/progress_record.hpp"
#include "server/stream_pump.hpp"
#include "server/streams.hpp"

namespace headway::server {
namespace {

namespace websocket = beast::websocket;
using WebSocket = websocket::stream<beast::tcp_stream>;

// Writes the stream's events as WebSocket text messages. Keep-alive is the
// protocol's own: Beast pings an idle peer and drops it when no pong returns.
class WsTransport {
 public:
  static constexpr bool kSendsPings = false;

  WsTransport(WebSocket& ws, Duration write_timeout)
      : ws_(ws), deadline_(ws.get_executor(), write_timeout) {}

  awaitable<error_code> progress(const Update& update) {
    co_return co_await write(update.rendered->ws);
  }
  awaitable<error_code> done(JobStatus status) {
    std::string message = "{\"event\":\"done\",\"id\":null,\"data\":{\"status\":\"";
    message += to_string(status);
    message += "\"}}";
    co_return co_await write(message);
  }
  awaitable<error_code> ping() { co_return error_code(); }
  // Never needed: the WebSocket stream does not write directly.
  awaitable<error_code> flush() { co_return error_code(); }

  awaitable<error_code> write(const std::string& message) {
    deadline_.arm(beast::get_lowest_layer(ws_).socket());
    auto [ec, n] = co_await ws_.async_write(asio::buffer(message), use_tuple);
    (void)n;
    deadline_.disarm();
    co_return ec;
  }
  bool timed_out() const { return deadline_.expired(); }

 private:
  WebSocket& ws_;
  WriteDeadline deadline_;
};

// Reads (and discards) client messages so control frames are answered and a
// close or a missed pong is noticed.
awaitable<void> read_until_closed(std::shared_ptr<WebSocket> ws,
                                  std::shared_ptr<StreamMailbox> mailbox) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws->async_read(buffer, use_tuple);
    (void)n;
    if (ec) {
      mailbox->close();
      co_return;
    }
    buffer.consume(buffer.size());
  }
}

awaitable<void> serve_websocket(Services& services, ConnectionGuard connection,
                                std::shared_ptr<WebSocket> ws, std::string job_id,
                                std::int64_t last_event_id) {
  auto executor = ws->get_executor();
  auto mailbox = std::make_shared<StreamMailbox>(executor, last_event_id, services.metrics);
  WsTransport transport(*ws, services.config.write_timeout);
  services.metrics.stream_opened(Transport::websocket);
  connection.on_drain([mailbox] { mailbox->close(); });

  std::string connected = "{\"event\":\"connected\",\"id\":null,\"data\":{\"job_id\":";
  append_json_string(connected, job_id);
  connected += "}}";
  bool clean = false;
  if (!co_await transport.write(connected)) {
    services.metrics.event_sent(EventType::connected);
    asio::co_spawn(executor, read_until_closed(ws, mailbox), asio::detached);
    auto topic = services.fanout.join(job_id, mailbox);
    co_await pump_stream(transport, *mailbox, services.metrics, services.config.ping_interval);
    services.fanout.leave(topic, mailbox);
    clean = !transport.timed_out() && ws->is_open();
  }
  if (transport.timed_out())
    services.metrics.slow_drops().Increment();
  if (clean) {
    // `done` or a drain: a close frame tells the client why.
    auto code = services.connections.draining() ? websocket::close_code::going_away
                                                : websocket::close_code::normal;
    beast::get_lowest_layer(*ws).expires_after(services.config.write_timeout);
    co_await ws->async_close(code, use_tuple);
  }
  error_code ignored;
  beast::get_lowest_layer(*ws).socket().close(ignored);
  services.metrics.stream_closed(Transport::websocket);
}

}  // namespace

awaitable<void> start_websocket(Services& services, ConnectionGuard& connection,
                                beast::tcp_stream& stream, const Request& request,
                                const std::string& job_id, std::int64_t last_event_id) {
  stream.expires_never();
  auto ws = std::make_shared<WebSocket>(std::move(stream));
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = services.config.write_timeout;
  timeout.idle_timeout = services.config.ping_interval * 2;
  timeout.keep_alive_pings = true;
  ws->set_option(timeout);
  ws->set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "headway"); }));
  auto [accept_ec] = co_await ws->async_accept(request, use_tuple);
  if (accept_ec)
    co_return;
  ws->text(true);
  auto executor = ws->get_executor();
  asio::co_spawn(
      executor,
      serve_websocket(services, std::move(connection), std::move(ws), job_id, last_event_id),
      log_stream_failure);
}

}  // namespace headway::server
