// What the server makes of a request target before any handler runs: the
// route table's match (the real table's patterns), job ids (is_uuid), the
// target as logged (stream tokens redacted), and the static file a path
// names. A matched route's parameters rebuild the path exactly; a job id is
// a UUID in any case; no `token=` value reaches a log; a static path never
// yields a file from outside the web root.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "core/uuid.hpp"
#include "fuzz_check.hpp"
#include "server/http/http_common.hpp"
#include "server/http/router.hpp"
#include "server/http/static_files.hpp"
#include "support/process.hpp"

namespace {

namespace http = boost::beast::http;
using headway::server::Router;

constexpr std::string_view kSecret = "file-outside-the-web-root";

// The patterns of the server's route table (src/server/api/routes.cpp),
// each with a placeholder handler.
Router make_router() {
  using V = http::verb;
  const std::pair<V, const char*> rows[] = {
      {V::get, "/api/generation/stream/{id}/"},
      {V::get, "/api/generation/ws/{id}/"},
      {V::get, "/api/generation/progress/{id}/"},
      {V::get, "/api/generation/health/"},
      {V::get, "/metrics"},
      {V::post, "/api/auth/login/"},
      {V::post, "/api/auth/logout/"},
      {V::get, "/api/auth/me/"},
      {V::post, "/api/generation/stream-token/{id}/"},
      {V::post, "/api/generation-jobs/generate/"},
      {V::get, "/api/generation-jobs/"},
      {V::get, "/api/generation-jobs/{id}/"},
      {V::delete_, "/api/generation-jobs/{id}/cancel/"},
      {V::get, "/{*path}"},
      {V::head, "/{*path}"},
  };
  Router router;
  for (const auto& [method, pattern] : rows)
    router.add({method, pattern, pattern, headway::server::RouteKind::plain, {}});
  return router;
}

// The path a pattern gives with these parameters.
std::string rebuild(std::string_view pattern, const std::vector<std::string_view>& params) {
  std::string out;
  std::size_t next = 0;
  while (!pattern.empty()) {
    if (pattern.starts_with("{")) {
      const auto close = pattern.find('}');
      out += params.at(next++);
      pattern.remove_prefix(close + 1);
    } else {
      out += pattern.front();
      pattern.remove_prefix(1);
    }
  }
  FUZZ_CHECK(next == params.size());
  return out;
}

struct Fixture {
  headway::test::TempDir dir;
  Router router = make_router();
  std::unique_ptr<headway::server::StaticFiles> files;
  std::string index;
};

Fixture* fixture = nullptr;

void check_route(http::verb method, std::string_view path) {
  const auto match = fixture->router.match(method, path);
  if (!match.route) {
    FUZZ_CHECK(match.path_known == !match.allow.empty());
    return;
  }
  FUZZ_CHECK(match.route->method == method);
  const bool catch_all = match.route->pattern.find("{*") != std::string::npos;
  // `{id}` segments are never empty; a catch-all's rest may be.
  for (std::size_t i = 0; i < match.params.size() - (catch_all ? 1 : 0); ++i)
    FUZZ_CHECK(!match.params[i].empty());
  const std::string rebuilt = rebuild(match.route->pattern, match.params);
  FUZZ_CHECK(rebuilt == path || (path.empty() && rebuilt == "/"));
  for (auto param : match.params) {
    if (!catch_all)
      FUZZ_CHECK(param.find('/') == std::string_view::npos);
  }
}

void check_static(std::string_view path) {
  const auto answer = fixture->files->read(path);
  if (answer.outcome != headway::server::StaticFiles::Outcome::file)
    return;
  FUZZ_CHECK(answer.body.find(kSecret) == std::string::npos);
  FUZZ_CHECK(!answer.content_type.empty());
}

void check_logged(std::string_view target) {
  const std::string logged = headway::server::loggable_target(target);
  FUZZ_CHECK(headway::server::loggable_target(logged) == logged);
  const auto query = logged.find('?');
  FUZZ_CHECK(logged.substr(0, query) == target.substr(0, target.find('?')));
  if (query == std::string::npos)
    return;
  std::string_view rest = std::string_view(logged).substr(query + 1);
  for (;;) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    if (pair.starts_with("token="))
      FUZZ_CHECK(pair == "token=REDACTED");
    if (amp == std::string_view::npos)
      break;
    rest.remove_prefix(amp + 1);
  }
}

void check_job_id(std::string_view text) {
  if (!headway::is_uuid(text))
    return;
  FUZZ_CHECK(text.size() == 36);
  std::string lower(text);
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  FUZZ_CHECK(headway::is_uuid(lower));
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture = new Fixture;
  const auto& dir = fixture->dir.path();
  write_file(dir / "web" / "index.html", "<!doctype html><title>headway</title>");
  write_file(dir / "web" / "assets" / "app-1a2b3c.js", "console.log('headway')");
  write_file(dir / "secret.txt", kSecret);
  write_file(dir / "web-secret" / "index.html", kSecret);
  std::filesystem::create_directory_symlink(dir / "web-secret", dir / "web" / "linked");
  fixture->files = std::make_unique<headway::server::StaticFiles>(dir / "web");
  FUZZ_CHECK(headway::is_uuid(headway::make_uuid()));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  // The first byte picks the method; the rest is the request target.
  if (size == 0)
    return 0;
  constexpr http::verb kMethods[] = {http::verb::get,  http::verb::post, http::verb::delete_,
                                     http::verb::head, http::verb::put,  http::verb::options};
  const auto method = kMethods[data[0] % std::size(kMethods)];
  const auto target = headway::fuzz::as_text(data + 1, size - 1);
  const auto path = target.substr(0, target.find('?'));
  check_route(method, path);
  check_logged(target);
  check_static(path);
  // A job id is the segment a `{id}` matched, or any text.
  check_job_id(path.substr(
      path.find_last_of('/') == std::string_view::npos ? 0 : path.find_last_of('/') + 1));
  check_job_id(target);
  return 0;
}
