#include "server/api/job_handlers.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "core/progress_record.hpp"
#include "server/api/progress_handlers.hpp"
#include "server/auth/authenticator.hpp"
#include "server/run_blocking.hpp"

namespace headway::server {
namespace {

namespace json = boost::json;

// The one place a job error becomes HTTP: its status, and the `error` code
// of the body (docs/openapi.json).
struct HttpError {
  http::status status;
  std::string_view code;
};
HttpError http_error_of(worker::JobError::Code code) {
  using Code = worker::JobError::Code;
  switch (code) {
    case Code::invalid_input:
      return {http::status::bad_request, "bad_request"};
    case Code::not_found:
      return {http::status::not_found, "not_found"};
    case Code::conflict:
      return {http::status::conflict, "conflict"};
    case Code::unavailable:
      return {http::status::service_unavailable, "unavailable"};
    case Code::internal:
      return {http::status::internal_server_error, "internal"};
  }
  return {http::status::internal_server_error, "internal"};
}

// {"error": code, "detail": message, "field": the bad request field when known}.
Response job_error_response(const Request& request, const worker::JobError& error) {
  const HttpError http_error = http_error_of(error.code);
  std::string body = "{\"error\":";
  append_json_string(body, http_error.code);
  body += ",\"detail\":";
  append_json_string(body, error.message);
  if (!error.field.empty()) {
    body += ",\"field\":";
    append_json_string(body, error.field);
  }
  body += '}';
  return json_response(request, http_error.status, std::move(body));
}

Response bad_field(const Request& request, std::string field, std::string message) {
  return job_error_response(request, worker::invalid_input(std::move(field), std::move(message)));
}

Response store_error_response(const Request& request, const store::Error& error,
                              std::string_view job_id = {}) {
  switch (error.code) {
    case store::ErrorCode::not_found:
      return job_not_found_response(request, job_id);
    case store::ErrorCode::invalid_argument:
      return error_response(request, http::status::bad_request, "bad_request", error.message);
    case store::ErrorCode::unavailable:
    case store::ErrorCode::busy:
      return error_response(request, http::status::service_unavailable, "unavailable",
                            "the job table cannot be reached now; try again shortly");
    default:
      return error_response(request, http::status::internal_server_error, "internal",
                            "the job table failed to answer: " + error.message);
  }
}

void append_optional(std::string& out, const std::optional<double>& value) {
  if (value)
    append_json_number(out, *value);
  else
    out += "null";
}

// The body of POST .../generate/: {"type": string, "params": object (optional)}.
// Returns the error response, or nullopt with `job` filled in.
std::optional<Response> parse_new_job(const Request& request, worker::NewJob& job) {
  boost::system::error_code ec;
  const json::value body = json::parse(request.body(), ec);
  if (ec)
    return bad_field(request, "body", "the request body is not valid JSON: " + ec.message());
  if (!body.is_object())
    return bad_field(request, "body",
                     R"(the request body must be a JSON object {"type", "params"})");
  const auto& fields = body.as_object();
  for (const auto& field : fields) {
    if (field.key() != "type" && field.key() != "params") {
      return bad_field(request, std::string(field.key()),
                       "unknown field '" + std::string(field.key()) +
                           "': a job request has only \"type\" and \"params\"");
    }
  }
  const auto* type = fields.if_contains("type");
  if (type == nullptr || !type->is_string() || type->as_string().empty())
    return bad_field(request, "type", "type: is required and must be a job type name");
  job.type = type->as_string();
  if (const auto* params = fields.if_contains("params"); params && !params->is_null()) {
    if (!params->is_object())
      return bad_field(request, "params", "params: must be a JSON object");
    job.params_json = json::serialize(*params);
  }
  return std::nullopt;
}

// ?status=&limit=&offset= for the list. Returns the error response, or
// nullopt with `query` filled in.
std::optional<Response> parse_list_query(const Request& request, store::JobQuery& query) {
  std::string_view target(request.target().data(), request.target().size());
  auto url = boost::urls::parse_origin_form(target);
  if (!url)
    return bad_field(request, "query", "the query string cannot be parsed");
  for (const auto& param : url->params()) {
    const std::string& value = param.value;
    if (param.key == "status") {
      if (value.empty())
        continue;
      auto status = store::parse_job_status(value);
      if (!status) {
        return bad_field(request, "status",
                         "status: expected queued, initializing, running, completed, failed or "
                         "cancelled, got '" +
                             value + "'");
      }
      query.status = *status;
    } else if (param.key == "limit" || param.key == "offset") {
      std::int64_t number = -1;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
      const bool whole = error == std::errc{} && end == value.data() + value.size();
      if (param.key == "limit") {
        if (!whole || number < 1 || number > store::kMaxListLimit) {
          return bad_field(
              request, "limit",
              "limit: expected a whole number from 1 to " + std::to_string(store::kMaxListLimit));
        }
        query.limit = number;
      } else {
        if (!whole || number < 0)
          return bad_field(request, "offset", "offset: expected a whole number, 0 or more");
        query.offset = number;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Handler create_job_handler(Services& services, worker::JobQueue& queue) {
  return [&services, &queue](RequestContext& context) -> awaitable<std::optional<Response>> {
    if (auto refused = require_credentials(context))
      co_return refused;
    // The caller (auth/authenticator.hpp) owns what they create.
    const auto caller = caller_of(context);
    if (!caller)
      co_return unauthorized_response(context.request);
    worker::NewJob job;
    if (auto error = parse_new_job(context.request, job))
      co_return error;
    job.owner = caller->name;
    auto enqueue = [&queue, &job] { return queue.enqueue(job); };
    auto created = co_await run_blocking(services.db_pool, enqueue);
    if (!created)
      co_return job_error_response(context.request, created.error());
    services.metrics.job_created(created->type);
    co_return json_response(context.request, http::status::created, job_json(*created));
  };
}

Handler list_jobs_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    if (auto refused = require_credentials(context))
      co_return refused;
    const auto caller = caller_of(context);
    if (!caller)
      co_return unauthorized_response(context.request);
    store::JobQuery query;
    if (auto error = parse_list_query(context.request, query))
      co_return error;
    if (!caller->admin)
      query.owner = caller->name;  // an admin sees every owner's jobs
    auto list = [&services, &query] { return services.store.list_jobs(query); };
    auto page = co_await run_blocking(services.db_pool, list);
    if (!page)
      co_return store_error_response(context.request, page.error());
    std::string body = "{\"results\":[";
    for (std::size_t i = 0; i < page->jobs.size(); ++i) {
      if (i > 0)
        body += ',';
      body += job_json(page->jobs[i]);
    }
    body += "],\"count\":" + std::to_string(page->total);
    body += ",\"limit\":" + std::to_string(query.limit);
    body += ",\"offset\":" + std::to_string(query.offset) + "}";
    co_return json_response(context.request, http::status::ok, std::move(body));
  };
}

Handler get_job_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    auto get = [&services, &job_id] { return services.store.get_job(job_id); };
    auto row = co_await run_blocking(services.db_pool, get);
    if (!row)
      co_return store_error_response(context.request, row.error(), job_id);
    co_return json_response(context.request, http::status::ok, job_json(*row));
  };
}

namespace {

// A finished stage's length (never negative, whatever the clocks did); none while it runs.
std::optional<double> stage_duration(const store::StageTiming& stage) {
  if (!stage.finished_at)
    return std::nullopt;
  return std::max(0.0, *stage.finished_at - stage.started_at);
}

// {"job_id", "status", "attempt": the newest, "stages": [{"attempt", "stage",
// "started_at", "finished_at", "duration_seconds"}, ...]}: every attempt's
// stages, in order; finished_at and duration_seconds are null while a stage runs.
std::string stage_timings_json(const store::Job& job,
                               const std::vector<store::StageTiming>& stages) {
  std::string out = "{\"job_id\":";
  append_json_string(out, job.id);
  out += ",\"status\":";
  append_json_string(out, to_string(job.status));
  out += ",\"attempt\":" + std::to_string(job.attempts);
  out += ",\"stages\":[";
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const auto& stage = stages[i];
    if (i > 0)
      out += ',';
    out += "{\"attempt\":" + std::to_string(stage.attempt);
    out += ",\"stage\":";
    append_json_string(out, stage.stage);
    out += ",\"started_at\":";
    append_json_number(out, stage.started_at);
    out += ",\"finished_at\":";
    append_optional(out, stage.finished_at);
    out += ",\"duration_seconds\":";
    append_optional(out, stage_duration(stage));
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

Handler job_stages_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    struct Answer {
      store::Job job;
      std::vector<store::StageTiming> stages;
    };
    auto read = [&services, &job_id]() -> store::Result<Answer> {
      auto job = services.store.get_job(job_id);
      if (!job)
        return job.error();
      auto stages = services.store.stage_timings(job_id);
      if (!stages)
        return stages.error();
      return Answer{std::move(*job), std::move(*stages)};
    };
    auto answer = co_await run_blocking(services.db_pool, read);
    if (!answer)
      co_return store_error_response(context.request, answer.error(), job_id);
    co_return json_response(context.request, http::status::ok,
                            stage_timings_json(answer->job, answer->stages));
  };
}

namespace {

// How many earlier completed runs of a job's type its comparison looks at.
constexpr std::int64_t kComparedRuns = 20;

// The span of one attempt's stages: first start to last end; none while a
// stage is open (the run has no total yet).
std::optional<double> stages_span(const std::vector<store::StageTiming>& stages) {
  if (stages.empty())
    return std::nullopt;
  double first = stages.front().started_at;
  double last = first;
  for (const auto& stage : stages) {
    if (!stage.finished_at)
      return std::nullopt;
    first = std::min(first, stage.started_at);
    last = std::max(last, *stage.finished_at);
  }
  return last - first;
}

// {"count", "median", "min", "max"}; the three null when `values` is empty.
void append_spread(std::string& out, std::vector<double> values) {
  out += "{\"count\":" + std::to_string(values.size());
  std::optional<double> median;
  std::optional<double> low;
  std::optional<double> high;
  if (!values.empty()) {
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    median = values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    low = values.front();
    high = values.back();
  }
  out += ",\"median\":";
  append_optional(out, median);
  out += ",\"min\":";
  append_optional(out, low);
  out += ",\"max\":";
  append_optional(out, high);
  out += '}';
}

// {"job_id", "type", "status", "this_run": {"total_seconds", "stages": [{"stage",
// "duration_seconds"}]}, "recent_runs": {"runs", "total_seconds": spread,
// "stages": [{"stage", "duration_seconds": spread}]}}: this job's newest attempt
// beside the last kComparedRuns completed runs of its type (docs/protocol.md).
std::string comparison_json(const store::Job& job, const std::vector<store::StageTiming>& timings,
                            const std::vector<store::CompletedRun>& runs) {
  std::vector<store::StageTiming> newest;
  for (const auto& timing : timings)
    if (timing.attempt == job.attempts)
      newest.push_back(timing);
  std::vector<std::string> order;
  auto note_stage = [&order](const std::string& stage) {
    if (std::find(order.begin(), order.end(), stage) == order.end())
      order.push_back(stage);
  };
  std::string out = "{\"job_id\":";
  append_json_string(out, job.id);
  out += ",\"type\":";
  append_json_string(out, job.type);
  out += ",\"status\":";
  append_json_string(out, to_string(job.status));
  out += ",\"this_run\":{\"total_seconds\":";
  append_optional(out, stages_span(newest));
  out += ",\"stages\":[";
  for (std::size_t i = 0; i < newest.size(); ++i) {
    const auto& stage = newest[i];
    note_stage(stage.stage);
    if (i > 0)
      out += ',';
    out += "{\"stage\":";
    append_json_string(out, stage.stage);
    out += ",\"duration_seconds\":";
    append_optional(out, stage_duration(stage));
    out += '}';
  }
  std::vector<double> totals;
  std::vector<std::pair<std::string, double>> durations;
  std::size_t compared = 0;
  for (const auto& run : runs) {
    if (run.id == job.id)
      continue;
    ++compared;
    if (auto total = stages_span(run.stages))
      totals.push_back(*total);
    for (const auto& stage : run.stages) {
      note_stage(stage.stage);
      if (auto seconds = stage_duration(stage))
        durations.emplace_back(stage.stage, *seconds);
    }
  }
  out += "]},\"recent_runs\":{\"runs\":" + std::to_string(compared);
  out += ",\"total_seconds\":";
  append_spread(out, std::move(totals));
  out += ",\"stages\":[";
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::vector<double> values;
    for (const auto& [stage, seconds] : durations)
      if (stage == order[i])
        values.push_back(seconds);
    if (i > 0)
      out += ',';
    out += "{\"stage\":";
    append_json_string(out, order[i]);
    out += ",\"duration_seconds\":";
    append_spread(out, std::move(values));
    out += '}';
  }
  out += "]}}";
  return out;
}

}  // namespace

Handler job_comparison_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    struct Answer {
      store::Job job;
      std::vector<store::StageTiming> stages;
      std::vector<store::CompletedRun> runs;
    };
    auto read = [&services, &job_id]() -> store::Result<Answer> {
      auto job = services.store.get_job(job_id);
      if (!job)
        return job.error();
      auto stages = services.store.stage_timings(job_id);
      if (!stages)
        return stages.error();
      // One more than compared, so the job itself among them leaves kComparedRuns others.
      auto runs = services.store.recent_completed_runs(job->type, kComparedRuns + 1);
      if (!runs)
        return runs.error();
      auto& earlier = *runs;
      const bool self_listed = std::any_of(earlier.begin(), earlier.end(),
                                           [&](const auto& run) { return run.id == job->id; });
      if (!self_listed && earlier.size() > static_cast<std::size_t>(kComparedRuns))
        earlier.pop_back();
      return Answer{std::move(*job), std::move(*stages), std::move(earlier)};
    };
    auto answer = co_await run_blocking(services.db_pool, read);
    if (!answer)
      co_return store_error_response(context.request, answer.error(), job_id);
    co_return json_response(context.request, http::status::ok,
                            comparison_json(answer->job, answer->stages, answer->runs));
  };
}

Handler cancel_job_handler(Services& services, worker::JobQueue& queue) {
  return [&services, &queue](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    auto cancel = [&queue, &job_id] { return queue.cancel(job_id); };
    auto outcome = co_await run_blocking(services.db_pool, cancel);
    if (!outcome) {
      if (outcome.error().code == worker::JobError::Code::not_found) {
        co_return job_not_found_response(context.request, job_id);
      }
      auto error = outcome.error();
      if (error.code == worker::JobError::Code::conflict)
        error.message += "; only a queued or running job can be cancelled";
      co_return job_error_response(context.request, error);
    }
    std::string body = "{\"status\":";
    append_json_string(body, worker::to_string(*outcome));
    body += '}';
    co_return json_response(context.request, http::status::ok, std::move(body));
  };
}

std::string job_json(const store::Job& job) {
  std::string out = "{\"id\":";
  append_json_string(out, job.id);
  out += ",\"owner\":";
  append_json_string(out, job.owner);
  out += ",\"type\":";
  append_json_string(out, job.type);
  // Stored as validated JSON text; embedded as the object it is.
  boost::system::error_code ec;
  const auto params = json::parse(job.params, ec);
  out += ",\"params\":";
  out += !ec && params.is_object() ? job.params : std::string("{}");
  out += ",\"status\":";
  append_json_string(out, to_string(job.status));
  out += ",\"stage\":";
  append_json_string(out, job.stage);
  out += ",\"stage_progress\":";
  append_json_number(out, job.stage_progress);
  out += ",\"overall_progress\":";
  append_json_number(out, job.overall_progress);
  out += ",\"eta_seconds\":";
  append_optional(out, job.eta_seconds);
  out += ",\"error\":";
  append_json_string(out, job.error);
  out += ",\"attempts\":" + std::to_string(job.attempts);
  out += ",\"created_at\":";
  append_json_number(out, job.created_at);
  out += ",\"started_at\":";
  append_optional(out, job.started_at);
  out += ",\"finished_at\":";
  append_optional(out, job.finished_at);
  out += ",\"updated_at\":";
  append_json_number(out, job.updated_at);
  out += '}';
  return out;
}

}  // namespace headway::server
