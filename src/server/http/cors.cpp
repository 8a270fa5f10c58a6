#include "server/http/cors.hpp"

#include <algorithm>

namespace headway::server {
namespace {

std::string_view origin_of(const Request& request) {
  return header_value(request, "Origin");
}

constexpr std::string_view kAllowHeaders =
    "Authorization, Content-Type, X-CSRF-Token, Last-Event-ID";
constexpr std::string_view kAllowMethods = "GET, POST, DELETE, OPTIONS";
constexpr std::string_view kExposeHeaders = "Retry-After";

}  // namespace

bool origin_allowed(const ServerConfig& config, std::string_view origin) {
  return !origin.empty() && std::find(config.cors_origins.begin(), config.cors_origins.end(),
                                      origin) != config.cors_origins.end();
}

Response cors_preflight(const ServerConfig& config, const Request& request) {
  const auto origin = origin_of(request);
  if (!origin_allowed(config, origin)) {
    return error_response(request, http::status::forbidden, "origin_not_allowed",
                          "this origin is not in the server's --cors-origins");
  }
  Response response(http::status::no_content, request.version());
  response.keep_alive(request.keep_alive());
  add_cors_headers(config, request, response);
  response.set(http::field::access_control_allow_methods, kAllowMethods);
  response.set(http::field::access_control_allow_headers, kAllowHeaders);
  response.set(http::field::access_control_max_age, "600");
  response.prepare_payload();
  return response;
}

void add_cors_headers(const ServerConfig& config, const Request& request, Response& response) {
  if (config.cors_origins.empty())
    return;
  // The answer depends on Origin, so caches must keep one copy per origin.
  response.set(http::field::vary, "Origin");
  const auto origin = origin_of(request);
  if (!origin_allowed(config, origin))
    return;
  response.set(http::field::access_control_allow_origin, origin);
  response.set(http::field::access_control_allow_credentials, "true");
  response.set(http::field::access_control_expose_headers, kExposeHeaders);
}

std::string cors_header_lines(const ServerConfig& config, const Request& request) {
  const auto origin = origin_of(request);
  if (!origin_allowed(config, origin))
    return {};
  return "Vary: Origin\r\nAccess-Control-Allow-Origin: " + std::string(origin) +
         "\r\nAccess-Control-Allow-Credentials: true\r\n";
}

std::string_view request_scheme(const ServerConfig& config, const Request& request) {
  return config.trust_proxy && beast::iequals(header_value(request, "X-Forwarded-Proto"), "https")
             ? "https"
             : "http";
}

bool websocket_origin_allowed(const ServerConfig& config, const Request& request) {
  const auto origin = origin_of(request);
  if (origin.empty() || origin_allowed(config, origin))
    return true;  // not a browser, or an allowed one
  const auto host = header_value(request, "Host");
  if (host.empty())
    return false;
  // Same origin: scheme, host and port alike (RFC 6454), so a page served
  // over https cannot open the plain-http server's streams, nor the reverse.
  const auto scheme = request_scheme(config, request);
  const auto separator = origin.find("://");
  if (separator == std::string_view::npos)
    return false;
  return beast::iequals(origin.substr(0, separator), scheme) &&
         beast::iequals(origin.substr(separator + 3), host);
}

}  // namespace headway::server
