#include "server/http_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <chrono>

#include "server/http/cors.hpp"

namespace headway::server {
namespace {

using Clock = std::chrono::steady_clock;

// Beast's response declares no noexcept move, though moving one does not throw.
struct Outcome {                     // NOLINT(bugprone-exception-escape)
  std::optional<Response> response;  // nullopt: a stream handler took the connection
  std::string_view route = "unmatched";
  bool stream = false;
};

// The error for a request that could not be read, or nullopt for a
// connection that simply ended (EOF, idle timeout, drain).
std::optional<Response> read_error_response(error_code ec) {
  if (ec == http::error::header_limit)
    return error_response(http::status::request_header_fields_too_large, "headers_too_large",
                          "the request headers exceed the server's limit");
  if (ec == http::error::body_limit)
    return error_response(http::status::payload_too_large, "body_too_large",
                          "the request body exceeds the server's limit");
  const error_code end_of_stream = http::error::end_of_stream;
  if (ec.category() == end_of_stream.category() && ec != http::error::end_of_stream &&
      ec != http::error::partial_message)
    return error_response(http::status::bad_request, "bad_request", ec.message());
  return std::nullopt;
}

// Whether every listed transfer coding is one the server implements: only
// `chunked`, which Beast's parser decodes.
bool transfer_codings_known(std::string_view codings) {
  while (!codings.empty()) {
    const auto comma = codings.find(',');
    auto coding = codings.substr(0, comma);
    coding = coding.substr(0, coding.find(';'));  // parameters
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
      coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
      coding.remove_suffix(1);
    if (!coding.empty() && !beast::iequals(coding, "chunked"))
      return false;
    if (comma == std::string_view::npos)
      break;
    codings.remove_prefix(comma + 1);
  }
  return true;
}

// Requests whose framing or addressing the server must refuse before any
// route sees them (RFC 9112 3.2 and 6.1): an HTTP/1.1 request needs exactly
// one Host header; a transfer coding the server does not know leaves the
// body's length unknown (501), so the connection closes after the answer.
std::optional<Response> refuse_malformed(const Request& request) {
  const auto hosts = request.count(http::field::host);
  if ((request.version() >= 11 && hosts == 0) || hosts > 1) {
    auto response = error_response(request, http::status::bad_request, "bad_request",
                                   "an HTTP/1.1 request needs exactly one Host header");
    response.keep_alive(false);
    return response;
  }
  const auto [first, last] = request.equal_range(http::field::transfer_encoding);
  for (auto field = first; field != last; ++field) {
    if (!transfer_codings_known(std::string_view(field->value().data(), field->value().size()))) {
      auto response =
          error_response(request, http::status::not_implemented, "unsupported_transfer_encoding",
                         "the only transfer coding this server accepts is chunked");
      response.keep_alive(false);
      return response;
    }
  }
  return std::nullopt;
}

awaitable<Outcome> dispatch(Services& services, const Router& router, RequestContext& context) {
  Outcome outcome;
  auto& request = context.request;
  if (auto refused = refuse_malformed(request)) {
    outcome.response = std::move(refused);
    co_return outcome;
  }
  if (services.connections.draining()) {
    outcome.response = error_response(request, http::status::service_unavailable, "draining",
                                      "the server is shutting down");
    outcome.response->keep_alive(false);
    co_return outcome;
  }
  if (request.method() == http::verb::options && request.count(http::field::origin) > 0) {
    outcome.response = cors_preflight(services.config, request);
    co_return outcome;
  }
  auto match = router.match(request.method(), request_path(request));
  if (!match.route) {
    if (match.path_known) {
      outcome.response = error_response(request, http::status::method_not_allowed,
                                        "method_not_allowed", "this path accepts " + match.allow);
      outcome.response->set(http::field::allow, match.allow);
    } else {
      outcome.response =
          error_response(request, http::status::not_found, "not_found", "no such endpoint");
    }
    co_return outcome;
  }
  outcome.route = match.route->name;
  outcome.stream = match.route->kind == RouteKind::stream;
  context.params = std::move(match.params);
  bool failed = false;
  try {
    // Credentials are resolved once, here, so that every handler sees the
    // same caller and CSRF is enforced for every state-changing route.
    context.authenticator = &services.auth;
    context.identity = co_await services.auth.identify(request, outcome.stream);
    if (auto refused = check_csrf(context)) {
      outcome.response = std::move(refused);
    } else if (beast::websocket::is_upgrade(request) &&
               !websocket_origin_allowed(services.config, request)) {
      outcome.response = error_response(request, http::status::forbidden, "origin_not_allowed",
                                        "WebSocket connections from this origin are refused");
    } else {
      outcome.response = co_await match.route->handler(context);
    }
  } catch (const std::exception& error) {
    spdlog::error("{} {}: {}", std::string(request.method_string()),
                  loggable_target(request.target()), error.what());
    failed = true;
  }
  if (failed) {
    outcome.response = error_response(request, http::status::internal_server_error, "internal",
                                      "the server failed to answer this request");
  }
  co_return outcome;
}

void account(Services& services, const Request* request, const Outcome& outcome, unsigned status,
             Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  services.metrics.http_request(outcome.route, status, seconds, !outcome.stream);
  if (services.config.access_log) {
    spdlog::info("access: \"{} {}\" {} {:.2f} ms",
                 request ? std::string(request->method_string()) : std::string("-"),
                 request ? loggable_target(request->target()) : std::string("-"), status,
                 seconds * 1000);
  }
}

// Reads and discards what the client still sends, briefly, before the socket
// closes: closing with unread input makes the kernel send a reset, which can
// destroy the error response (413, 431) before the client has read it.
awaitable<void> linger(beast::tcp_stream& stream, Duration limit) {
  stream.expires_after(std::min(limit, Duration(2000)));
  std::array<char, 4096> sink;
  for (int i = 0; i < 1024; ++i) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    (void)n;
    if (ec)
      break;
  }
}

}  // namespace

awaitable<void> run_http_session(Services& services, const Router& router, tcp::socket socket) {
  const auto& config = services.config;
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  ConnectionGuard connection(services.connections, stream->get_executor());
  connection.on_drain([weak = std::weak_ptr(stream)] {
    if (auto s = weak.lock())
      s->cancel();  // an idle keep-alive read ends; a request in progress finishes
  });
  const bool over_limit = services.connections.count() > config.max_connections;
  beast::flat_buffer buffer;
  bool rejected_input = false;  // answered a request we could not read whole
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    stream->expires_after(config.idle_timeout);
    auto [ec, n] = co_await http::async_read(*stream, buffer, parser, use_tuple);
    (void)n;
    const auto start = Clock::now();
    std::optional<Response> response;
    Outcome outcome;
    Request* request = nullptr;
    if (ec) {
      response = read_error_response(ec);
      if (!response)
        break;
      rejected_input = true;
    } else {
      request = &parser.get();
      if (over_limit) {
        services.metrics.rejected_connections().Increment();
        response = error_response(http::status::service_unavailable, "overloaded",
                                  "the server is at its connection limit; retry later");
      } else {
        RequestContext context{*request, {}, *stream, buffer, &connection};
        outcome = co_await dispatch(services, router, context);
        response = std::move(outcome.response);
        if (!response) {  // a stream took the connection over
          account(services, request, outcome, beast::websocket::is_upgrade(*request) ? 101 : 200,
                  start);
          co_return;
        }
      }
    }
    if (request)
      add_cors_headers(config, *request, *response);
    add_security_headers(*response);
    const unsigned status = response->result_int();
    stream->expires_after(config.write_timeout);
    auto [write_ec, written] = co_await http::async_write(*stream, *response, use_tuple);
    (void)written;
    account(services, request, outcome, status, start);
    // Draining: the on_drain cancel only ends a read already waiting, so a
    // connection that was busy with a request then must not wait for another.
    if (write_ec || !response->keep_alive() || ec || services.connections.draining())
      break;
  }
  error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (rejected_input)
    co_await linger(*stream, config.idle_timeout);
}

}  // namespace headway::server
