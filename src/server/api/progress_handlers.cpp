#include "server/api/progress_handlers.hpp"

#include <algorithm>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>

#include "auth/crypto.hpp"
#include "core/progress_record.hpp"
#include "core/uuid.hpp"
#include "jobs/job_queue.hpp"
#include "server/api/scrape_metrics.hpp"
#include "server/auth/authenticator.hpp"
#include "server/http/cors.hpp"
#include "server/openapi.hpp"
#include "server/redis/recorder.hpp"
#include "server/run_blocking.hpp"
#include "server/streams/streams.hpp"

namespace headway::server {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

awaitable<std::optional<Response>> check_job_request(const RequestContext& context,
                                                     std::string& job_id) {
  const auto raw = context.params.at(0);
  const bool well_formed = is_uuid(raw);
  if (auto refused = require_credentials(context, well_formed))
    co_return refused;
  if (!well_formed) {
    co_return error_response(context.request, http::status::bad_request, "invalid_job_id",
                             "a job id is a UUID such as 6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77");
  }
  job_id = lowercase(raw);
  auto decision = co_await authorize(context, job_id);
  if (!decision.allowed)
    co_return denied_response(context.request, decision);
  co_return std::nullopt;
}

namespace {

// The seq a reconnecting client already has: the Last-Event-ID header (SSE),
// or a last_event_id query parameter (for clients that cannot set headers).
std::int64_t last_event_id(const Request& request) {
  std::string_view text;
  if (auto it = request.find("Last-Event-ID"); it != request.end()) {
    text = std::string_view(it->value().data(), it->value().size());
  } else {
    std::string_view target(request.target().data(), request.target().size());
    const auto at = target.find("last_event_id=");
    if (at != std::string_view::npos) {
      text = target.substr(at + 14);
      text = text.substr(0, text.find('&'));
    }
  }
  std::int64_t seq = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  // An id above kMaxSeq names no record this server sent: start afresh.
  return ec == std::errc{} && end == text.data() + text.size() && seq > 0 && seq <= kMaxSeq ? seq
                                                                                            : 0;
}

// A Sec-WebSocket-Key is 16 random bytes in base64 (RFC 6455 4.1): 22
// characters of the alphabet and "==". Beast accepts any short value.
bool valid_websocket_key(const Request& request) {
  if (request.count(http::field::sec_websocket_key) != 1)
    return false;
  const auto key = header_value(request, "Sec-WebSocket-Key");
  if (key.size() != 24 || !key.ends_with("=="))
    return false;
  return std::all_of(key.begin(), key.end() - 2, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

enum class Existence { exists, unknown, cannot_tell };

// Whether the job exists: a row in the job table (no Redis I/O, so a known
// job's `connected` is never held up by Redis), else a record in Redis.
awaitable<Existence> job_exists(Services& services, const std::string& job_id) {
  auto row = co_await services.snapshots.job_row(job_id);
  if (row)
    co_return Existence::exists;
  const bool no_row = row.error().code == store::ErrorCode::not_found;
  auto read = co_await services.snapshots.from_redis(job_id);
  if (read.outcome == Snapshots::Outcome::found)
    co_return Existence::exists;
  if (no_row && read.outcome == Snapshots::Outcome::missing)
    co_return Existence::unknown;
  co_return Existence::cannot_tell;  // a store is down: stream and fall back
}

// The same body authorize() answers for someone else's job.
Response unknown_job(const Request& request, const std::string& job_id) {
  return job_not_found_response(request, job_id);
}

}  // namespace

Handler job_stream_handler(Services& services, bool websocket) {
  return [&services, websocket](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    if (websocket && !beast::websocket::is_upgrade(context.request)) {
      co_return error_response(context.request, http::status::upgrade_required,
                               "websocket_required", "this endpoint speaks WebSocket only");
    }
    if (websocket && !valid_websocket_key(context.request)) {
      co_return error_response(context.request, http::status::bad_request, "bad_websocket_key",
                               "Sec-WebSocket-Key must be 16 bytes in base64");
    }
    if (co_await job_exists(services, job_id) == Existence::unknown)
      co_return unknown_job(context.request, job_id);
    auto& connection = *context.connection;
    const std::int64_t resume_after = last_event_id(context.request);
    if (websocket) {
      co_await start_websocket(services, connection, context.stream, context.request, job_id,
                               resume_after);
    } else {
      std::string cors = cors_header_lines(services.config, context.request);
      start_sse(services, connection, context.stream.release_socket(), std::move(job_id),
                resume_after, std::move(cors));
    }
    co_return std::nullopt;
  };
}

// Several jobs on one connection: GET /api/generation/streams/?jobs=<id>,...
// (SSE) and /api/generation/streams/ws/?jobs=... (WebSocket). Credentials
// are a session or an API token (a stream token names one job). A job the
// caller may not see does not fail the request: it gets `not_found` on the
// stream, so one stale id cannot stop a page from watching the rest.
Handler many_job_stream_handler(Services& services, bool websocket) {
  return [&services, websocket](RequestContext& context) -> awaitable<std::optional<Response>> {
    if (auto refused = require_credentials(context, false))
      co_return refused;
    const auto& request = context.request;
    std::string_view target(request.target().data(), request.target().size());
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
      co_return error_response(request, http::status::bad_request, "invalid_query",
                               "the query string cannot be parsed");
    }
    std::string jobs_text;
    std::string positions;
    for (const auto& param : url->params()) {
      if (param.key == "jobs")
        jobs_text = param.value;
      else if (param.key == "last_event_id")
        positions = param.value;
    }
    if (auto it = request.find("Last-Event-ID"); it != request.end())
      positions = std::string(it->value().data(), it->value().size());
    std::vector<StreamedJob> jobs;
    if (auto error = parse_job_list(jobs_text, jobs))
      co_return error_response(request, http::status::bad_request, error->error, error->detail);
    if (websocket && !beast::websocket::is_upgrade(request)) {
      co_return error_response(request, http::status::upgrade_required, "websocket_required",
                               "this endpoint speaks WebSocket only");
    }
    if (websocket && !valid_websocket_key(request)) {
      co_return error_response(request, http::status::bad_request, "bad_websocket_key",
                               "Sec-WebSocket-Key must be 16 bytes in base64");
    }
    apply_positions(positions, jobs);
    for (auto& job : jobs) {
      auto decision = co_await authorize(context, job.id);
      if (!decision.allowed && decision.status != http::status::not_found)
        co_return denied_response(request, decision);
      job.visible = decision.allowed && co_await job_exists(services, job.id) != Existence::unknown;
    }
    auto& connection = *context.connection;
    if (websocket) {
      co_await start_many_websocket(services, connection, context.stream, request, std::move(jobs));
    } else {
      std::string cors = cors_header_lines(services.config, request);
      start_many_sse(services, connection, context.stream.release_socket(), std::move(jobs),
                     std::move(cors));
    }
    co_return std::nullopt;
  };
}

Handler progress_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    auto read = co_await services.snapshots.from_redis(job_id);
    if (read.outcome != Snapshots::Outcome::found) {
      const bool redis_missing = read.outcome == Snapshots::Outcome::missing;
      read = co_await services.snapshots.from_database(job_id);
      if (read.outcome == Snapshots::Outcome::missing && redis_missing)
        co_return unknown_job(context.request, job_id);
      if (read.outcome != Snapshots::Outcome::found) {
        co_return error_response(context.request, http::status::service_unavailable, "unavailable",
                                 "neither Redis nor the job table can answer now");
      }
    }
    co_return json_response(context.request, http::status::ok, read.update->json());
  };
}

// Every connection a request may need, each checked as it is: the command
// connection and the job queue's by a PING (the queue's goes out only when
// the others are up, so a hung Redis costs one timeout, not two), the
// pub/sub connections and the recorder by the state they track (they are
// always reading, so they see Redis go at once), the database by a query.
Handler health_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    // (A named vector: GCC 12 mis-compiles a braced list inside co_await.)
    std::vector<std::string> command(1, "PING");
    auto [ec, reply] = co_await services.redis.execute(std::move(command));
    const bool commands_ok = !ec && reply && reply->type != REDIS_REPLY_ERROR;
    const bool pubsub_ok = services.pubsub.connected();
    const bool recorder_ok = !services.recorder || services.recorder->connected();
    bool queue_ok = false;
    if (commands_ok && pubsub_ok && services.job_queue) {
      auto queue = services.job_queue;
      auto ping = co_await run_blocking(services.db_pool, [queue] { return queue->ping(); });
      queue_ok = ping.has_value();
    }
    const bool redis_ok = commands_ok && pubsub_ok && queue_ok && recorder_ok;
    auto ping =
        co_await run_blocking(services.db_pool, [&services] { return services.store.ping(); });
    const bool db_ok = ping.has_value();
    const bool healthy = redis_ok && db_ok;
    const auto flag = [](bool up) { return up ? "true" : "false"; };
    std::string body = "{\"status\":\"";
    body += healthy ? "healthy" : "unhealthy";
    body += "\",\"redis\":{\"status\":\"";
    body += redis_ok ? "up" : "down";
    body += "\",\"commands\":";
    body += flag(commands_ok);
    body += ",\"pubsub\":";
    body += flag(pubsub_ok);
    body += ",\"queue\":";
    body += flag(queue_ok);
    if (services.recorder) {
      body += ",\"recorder\":";
      body += flag(recorder_ok);
    }
    body += "},\"database\":{\"status\":\"";
    body += db_ok ? "up" : "down";
    body += "\"";
    if (!db_ok) {
      body += ",\"detail\":";
      append_json_string(body, ping.error().message);
    }
    body += "},\"watched_jobs\":" + std::to_string(services.fanout.topic_count());
    body += ",\"connections\":" + std::to_string(services.connections.count());
    body +=
        services.auth.disabled() ? ",\"auth\":\"disabled (insecure)\"}" : ",\"auth\":\"enabled\"}";
    services.metrics.redis_up().Set(redis_ok ? 1 : 0);
    services.metrics.db_up().Set(db_ok ? 1 : 0);
    co_return json_response(context.request,
                            healthy ? http::status::ok : http::status::service_unavailable,
                            std::move(body));
  };
}

Handler metrics_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    if (const auto& token = services.config.metrics_token; !token.empty()) {
      auto it = context.request.find(http::field::authorization);
      const std::string expected = "Bearer " + token;
      if (it == context.request.end() ||
          !auth::constant_time_equal(std::string_view(it->value().data(), it->value().size()),
                                     expected))
        co_return unauthorized_response(context.request);
    }
    Response response(http::status::ok, context.request.version());
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.keep_alive(context.request.keep_alive());
    co_await refresh_scrape_metrics(services);
    response.body() = services.metrics.render();
    response.prepare_payload();
    co_return response;
  };
}

// The OpenAPI 3.1 description of every route (docs/openapi.json), open to
// all like the health check: it says nothing a client could not try.
Handler openapi_handler() {
  return [](RequestContext& context) -> awaitable<std::optional<Response>> {
    co_return json_response(context.request, http::status::ok, kOpenApiDocument);
  };
}

}  // namespace headway::server
