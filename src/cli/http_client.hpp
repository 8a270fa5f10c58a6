#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

// A small blocking HTTP/1.1 client for the CLI's talks with `headway serve`,
// over plain TCP (http://) or TLS (https://, verified against the system CA
// store or --cacert). Not thread-safe; one request at a time.
namespace headway::cli {

struct ServerAddress {
  bool tls = false;  // https://
  std::string host = "127.0.0.1";
  std::string port = "8000";
  std::string token;   // sent as "Authorization: Bearer <token>" when set
  std::string cacert;  // PEM file of CAs to trust instead of the system store (https only)
};

// Parses http://host[:port][/] and https://host[:port][/]; nullopt with
// `error` set otherwise.
std::optional<ServerAddress> parse_server_url(std::string_view url, std::string& error);

struct HttpResponse {
  int status = 0;
  std::string body;
};

// One request with a JSON body (empty for none). On a connection problem
// (cannot connect, TLS handshake or certificate refused, timeout) returns
// nullopt and says why in `error`.
std::optional<HttpResponse> http_request(const ServerAddress& server, std::string_view method,
                                         std::string_view target, std::string_view json_body,
                                         std::string& error,
                                         std::chrono::seconds timeout = std::chrono::seconds(30));

// Opens an event stream and calls `on_event(name, data)` for every SSE event
// until it returns false, the server closes the stream, or an error occurs.
// Returns the HTTP status (0 on a connection error, with `error` set).
int http_event_stream(const ServerAddress& server, std::string_view target,
                      const std::function<bool(std::string_view, std::string_view)>& on_event,
                      std::string& error);

// The server address from --server/--token or HEADWAY_URL/HEADWAY_TOKEN.
std::string default_server_url();
std::string default_token();
// The CA file from HEADWAY_CACERT (empty: the system store).
std::string default_cacert();

// The "detail" (or "error") of a JSON error body, or the body itself.
std::string error_message(const HttpResponse& response);

}  // namespace headway::cli
