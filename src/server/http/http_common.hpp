#pragma once

#include <string>
#include <string_view>

#include "server/asio_types.hpp"

namespace headway::server {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A JSON response; keep-alive follows the request.
Response json_response(const Request& request, http::status status, std::string body);
// An error in the one shape every endpoint uses: {"error": "...", "detail": "..."}.
Response error_response(const Request& request, http::status status, std::string_view error,
                        std::string_view detail);
// The same for when there is no parsed request (431, 413, 503 at the door).
Response error_response(http::status status, std::string_view error, std::string_view detail);

// The web UI's Content-Security-Policy: scripts, styles and connections
// (fetch, EventSource, WebSocket) from this origin only, no inline script,
// no plugins, never framed.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// Adds the headers every answer carries: no MIME sniffing, no Referer sent
// on, never framed, and (unless the handler set one, as the web UI does) a
// Content-Security-Policy that allows nothing, fit for JSON and text.
void add_security_headers(Response& response);

// A header's value; empty when the request does not have it.
std::string_view header_value(const Request& request, std::string_view name);

// The request target without its query string.
std::string_view request_path(const Request& request);

// `target` fit for a log: the value of every `token` query parameter (a
// stream token is a credential) replaced by REDACTED.
std::string loggable_target(std::string_view target);

}  // namespace headway::server
