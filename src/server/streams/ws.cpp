#include <spdlog/spdlog.h>
#include <boost/beast/websocket.hpp>

#include "core/progress_record.hpp"
#include "server/streams/close_code_filter.hpp"
#include "server/streams/pump.hpp"
#include "server/streams/streams.hpp"

namespace headway::server {
namespace {

namespace websocket = beast::websocket;
using WebSocket = websocket::stream<CloseCodeFilter>;

// How long the server waits for a client to answer its close frame (after
// `done`, or when draining) before it drops the connection.
constexpr Duration kCloseGrace{2000};

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
// close or a missed pong is noticed. `stop` ends a read that Beast parked
// behind its own close handshake (no socket operation would wake it).
template <typename OnClose>
awaitable<void> read_until_closed(std::shared_ptr<WebSocket> ws, OnClose on_close,
                                  std::shared_ptr<asio::cancellation_signal> stop) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] =
        co_await ws->async_read(buffer, asio::bind_cancellation_slot(stop->slot(), use_tuple));
    (void)n;
    if (ec) {
      on_close();
      co_return;
    }
    buffer.consume(buffer.size());
  }
}

// The closing handshake, bounded. Beast's close waits for the client's close
// frame and FIN for as long as the write timeout allows, so a client that
// never answers held the stream (and shutdown) that long; and with a read
// pending, Beast's close and read each hold a lock the other needs, where
// only cancellation reliably wakes them. When the client has not finished
// within `limit`, the close is cancelled and the socket closed, so the
// stream always ends: a client that never answers costs at most `limit`.
awaitable<void> close_within(std::shared_ptr<WebSocket> ws, websocket::close_code code,
                             Duration limit) {
  auto give_up = std::make_shared<asio::cancellation_signal>();
  asio::steady_timer timer(ws->get_executor(), limit);
  timer.async_wait([ws, give_up](error_code ec) {
    if (ec)
      return;
    give_up->emit(asio::cancellation_type::terminal);
    error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
  });
  co_await ws->async_close(code, asio::bind_cancellation_slot(give_up->slot(), use_tuple));
  timer.cancel();
}

awaitable<void> serve_websocket(Services& services, ConnectionGuard connection,
                                std::shared_ptr<WebSocket> ws, std::string job_id,
                                std::int64_t last_event_id) {
  auto executor = ws->get_executor();
  auto mailbox = std::make_shared<StreamMailbox>(executor, last_event_id, services.metrics);
  WsTransport transport(*ws, services.config.write_timeout);
  const ActiveStream active(services.metrics, Transport::websocket);
  connection.on_drain([mailbox] { mailbox->close(); });
  auto stop_reading = std::make_shared<asio::cancellation_signal>();

  std::string connected = "{\"event\":\"connected\",\"id\":null,\"data\":{\"job_id\":";
  append_json_string(connected, job_id);
  connected += "}}";
  bool clean = false;
  if (!co_await transport.write(connected)) {
    services.metrics.event_sent(EventType::connected);
    asio::co_spawn(executor,
                   read_until_closed(
                       ws, [mailbox] { mailbox->close(); }, stop_reading),
                   asio::detached);
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
    co_await close_within(ws, code, std::min(services.config.write_timeout, kCloseGrace));
  }
  error_code ignored;
  beast::get_lowest_layer(*ws).socket().close(ignored);
  stop_reading->emit(asio::cancellation_type::terminal);
}

// A stream of several jobs as WebSocket messages (see ManySseTransport).
class ManyWsTransport {
 public:
  static constexpr bool kSendsPings = false;

  explicit ManyWsTransport(WsTransport& ws) : ws_(ws) {}

  awaitable<error_code> progress(const Update& update, const std::string& positions) {
    message_.clear();
    message_ += "{\"event\":\"progress\",\"id\":\"";
    message_ += positions;
    message_ += "\",\"data\":";
    message_ += update.json();
    message_ += "}";
    co_return co_await ws_.write(message_);
  }
  awaitable<error_code> done(const std::string& job_id, JobStatus status) {
    message_ = "{\"event\":\"done\",\"id\":null,\"data\":" + done_event_data(job_id, status) + "}";
    co_return co_await ws_.write(message_);
  }
  awaitable<error_code> ping() { co_return error_code(); }

 private:
  WsTransport& ws_;
  std::string message_;  // reused: one write in flight
};

awaitable<void> serve_many_websocket(Services& services, ConnectionGuard connection,
                                     std::shared_ptr<WebSocket> ws, std::vector<StreamedJob> jobs) {
  auto executor = ws->get_executor();
  auto wake = std::make_shared<asio::steady_timer>(executor);
  const auto mailboxes = make_job_mailboxes(executor, jobs, services.metrics, wake);
  const auto close_all = [mailboxes] { close_job_mailboxes(mailboxes); };
  WsTransport ws_transport(*ws, services.config.write_timeout);
  ManyWsTransport transport(ws_transport);
  const ActiveStream active(services.metrics, Transport::websocket);
  connection.on_drain(close_all);
  auto stop_reading = std::make_shared<asio::cancellation_signal>();

  bool opened = true;
  for (const auto& job : jobs) {
    const std::string message =
        job.visible
            ? "{\"event\":\"connected\",\"id\":null,\"data\":" + connected_event_data(job.id) + "}"
            : "{\"event\":\"not_found\",\"id\":null,\"data\":" + not_found_event_data(job.id) + "}";
    if (co_await ws_transport.write(message)) {
      opened = false;
      break;
    }
    if (job.visible)
      services.metrics.event_sent(EventType::connected);
  }
  bool clean = false;
  if (opened) {
    asio::co_spawn(executor, read_until_closed(ws, close_all, stop_reading), asio::detached);
    co_await stream_joined_jobs(transport, services.fanout, jobs, mailboxes, *wake,
                                services.metrics, services.config.ping_interval);
    clean = !ws_transport.timed_out() && ws->is_open();
  }
  if (ws_transport.timed_out())
    services.metrics.slow_drops().Increment();
  if (clean) {
    auto code = services.connections.draining() ? websocket::close_code::going_away
                                                : websocket::close_code::normal;
    co_await close_within(ws, code, std::min(services.config.write_timeout, kCloseGrace));
  }
  error_code ignored;
  beast::get_lowest_layer(*ws).socket().close(ignored);
  stop_reading->emit(asio::cancellation_type::terminal);
}

// Completes the upgrade with the stream's options; null when it failed.
awaitable<std::shared_ptr<WebSocket>> accept_websocket(Services& services,
                                                       beast::tcp_stream& stream,
                                                       const Request& request) {
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
    co_return nullptr;
  ws->next_layer().start_framing();
  ws->text(true);
  co_return ws;
}

}  // namespace

awaitable<void> start_many_websocket(Services& services, ConnectionGuard& connection,
                                     beast::tcp_stream& stream, const Request& request,
                                     std::vector<StreamedJob> jobs) {
  auto ws = co_await accept_websocket(services, stream, request);
  if (!ws)
    co_return;
  auto executor = ws->get_executor();
  asio::co_spawn(
      executor,
      serve_many_websocket(services, std::move(connection), std::move(ws), std::move(jobs)),
      log_stream_failure);
}

awaitable<void> start_websocket(Services& services, ConnectionGuard& connection,
                                beast::tcp_stream& stream, const Request& request,
                                const std::string& job_id, std::int64_t last_event_id) {
  auto ws = co_await accept_websocket(services, stream, request);
  if (!ws)
    co_return;
  auto executor = ws->get_executor();
  asio::co_spawn(
      executor,
      serve_websocket(services, std::move(connection), std::move(ws), job_id, last_event_id),
      log_stream_failure);
}

}  // namespace headway::server
