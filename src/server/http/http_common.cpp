#include "server/http/http_common.hpp"

#include "core/progress_record.hpp"

namespace headway::server {

std::string_view header_value(const Request& request, std::string_view name) {
  auto it = request.find(beast::string_view(name.data(), name.size()));
  if (it == request.end())
    return {};
  return std::string_view(it->value().data(), it->value().size());
}

Response json_response(const Request& request, http::status status, std::string body) {
  Response response(status, request.version());
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

namespace {
std::string error_body(std::string_view error, std::string_view detail) {
  std::string body = "{\"error\":";
  append_json_string(body, error);
  body += ",\"detail\":";
  append_json_string(body, detail);
  body += '}';
  return body;
}
}  // namespace

Response error_response(const Request& request, http::status status, std::string_view error,
                        std::string_view detail) {
  return json_response(request, status, error_body(error, detail));
}

Response error_response(http::status status, std::string_view error, std::string_view detail) {
  Response response(status, 11);
  response.set(http::field::content_type, "application/json");
  response.keep_alive(false);
  response.body() = error_body(error, detail);
  response.prepare_payload();
  return response;
}

void add_security_headers(Response& response) {
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set(http::field::x_frame_options, "DENY");
  if (response.find("Content-Security-Policy") == response.end())
    response.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

std::string_view request_path(const Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  return target.substr(0, target.find('?'));
}

std::string loggable_target(std::string_view target) {
  const auto query = target.find('?');
  if (query == std::string_view::npos)
    return std::string(target);
  std::string out(target.substr(0, query + 1));
  for (auto start = query + 1;;) {
    const auto amp = target.find('&', start);
    const auto pair = target.substr(start, amp == std::string_view::npos ? amp : amp - start);
    out += pair.starts_with("token=") ? std::string_view("token=REDACTED") : pair;
    if (amp == std::string_view::npos)
      return out;
    out += '&';
    start = amp + 1;
  }
}

}  // namespace headway::server
