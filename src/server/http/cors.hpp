#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/config.hpp"
#include "server/http/http_common.hpp"

// Cross-origin access (CORS) from the --cors-origins allow-list: none by
// default, so only pages served by this server (same origin) may call it from
// a browser. Stateless functions; thread-safe.
namespace headway::server {

bool origin_allowed(const ServerConfig& config, std::string_view origin);

// The answer to a preflight (OPTIONS with Origin): 204 with the allowed
// methods and headers for an allowed origin, 403 otherwise.
Response cors_preflight(const ServerConfig& config, const Request& request);

// Adds Access-Control-Allow-Origin (the request's origin, never `*`) and
// -Allow-Credentials to `response` when the request's origin is allowed.
void add_cors_headers(const ServerConfig& config, const Request& request, Response& response);

// The same headers as raw "Name: value\r\n" lines, for the SSE preamble.
std::string cors_header_lines(const ServerConfig& config, const Request& request);

// The scheme the browser used to reach the server: "http", or "https" when
// a trusted proxy (--trust-proxy) says so in X-Forwarded-Proto.
std::string_view request_scheme(const ServerConfig& config, const Request& request);

// A WebSocket handshake from a browser page on another origin (not this
// host, not allowed; the scheme counts too) is refused: cookies would otherwise let any site open a
// signed-in user's streams (cross-site WebSocket hijacking).
bool websocket_origin_allowed(const ServerConfig& config, const Request& request);

}  // namespace headway::server
