#include "server/api/web_ui_handler.hpp"

#include <string>
#include <utility>

#include "server/run_blocking.hpp"

namespace headway::server {
namespace {

bool is_api_path(std::string_view path) {
  return path.starts_with("/api/") || path == "/api" || path == "/metrics" ||
         path.starts_with("/metrics/");
}

}  // namespace

Handler web_ui_handler(Services& services, const StaticFiles& files) {
  return [&services, &files](RequestContext& context) -> awaitable<std::optional<Response>> {
    const auto& request = context.request;
    const std::string path(request_path(request));
    if (is_api_path(path))
      co_return error_response(request, http::status::not_found, "not_found", "no such endpoint");
    auto read = [&files, &path] { return files.read(path); };
    auto answer = co_await run_blocking(services.db_pool, read);
    switch (answer.outcome) {
      case StaticFiles::Outcome::bad_path:
        co_return error_response(request, http::status::bad_request, "bad_path",
                                 "this path is not allowed");
      case StaticFiles::Outcome::missing:
        co_return error_response(request, http::status::not_found, "not_found", "no such file");
      case StaticFiles::Outcome::no_ui:
        co_return error_response(request, http::status::not_found, "no_web_ui",
                                 "this server has no web UI: build it (npm ci && npm run build "
                                 "in web/) or pass --web-root");
      case StaticFiles::Outcome::file:
        break;
    }
    Response response(http::status::ok, request.version());
    response.set(http::field::content_type, answer.content_type);
    response.set(http::field::cache_control, answer.cache_control);
    response.set("Content-Security-Policy", kUiContentSecurityPolicy);
    response.keep_alive(request.keep_alive());
    const auto size = answer.body.size();
    if (request.method() != http::verb::head)
      response.body() = std::move(answer.body);
    // HEAD: the headers a GET would have, including its length, and no body.
    response.content_length(size);
    co_return response;
  };
}

}  // namespace headway::server
