// `headway submit`, `headway jobs` and `headway watch`: the server's job API
// and streams from a terminal.
#include <unistd.h>

#include <boost/json.hpp>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/http_client.hpp"
#include "core/uuid.hpp"

namespace headway::cli {
namespace {

namespace json = boost::json;

struct ClientOptions {
  std::string server_url = default_server_url();
  std::string token = default_token();
  std::string cacert = default_cacert();
  std::string type;
  std::vector<std::string> params;
  std::string job_id;
  std::string status;
  int limit = 20;
  bool watch = false;
  bool json = false;  // print JSON (one document, or one event per line) instead of text
};

std::optional<ServerAddress> server_of(const ClientOptions& o) {
  std::string error;
  auto server = parse_server_url(o.server_url, error);
  if (!server) {
    std::cerr << "headway: " << error << "\n";
    return std::nullopt;
  }
  server->token = o.token;
  server->cacert = o.cacert;
  return server;
}

// The exit status for an answer that is not the one hoped for.
int exit_for(int http_status) {
  if (http_status == 400 || http_status == 413 || http_status == 415)
    return kExitUsage;
  if (http_status == 401 || http_status == 403)
    return kExitAuth;
  return kExitFailed;
}

// Says why a request got no answer; the exit status for it.
int unreachable(const std::string& error) {
  std::cerr << "headway: " << error << "\n";
  return kExitUnreachable;
}

// "k=v": v is taken as JSON when it parses (numbers, true, null, "quoted"),
// otherwise as a plain string.
std::optional<json::object> parse_params(const std::vector<std::string>& pairs) {
  json::object params;
  for (const auto& pair : pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::cerr << "headway: --param takes key=value, got '" << pair << "'\n";
      return std::nullopt;
    }
    const std::string value = pair.substr(equals + 1);
    boost::system::error_code ec;
    json::value parsed = json::parse(value, ec);
    params[pair.substr(0, equals)] = ec ? json::value(value) : parsed;
  }
  return params;
}

std::string format_duration(double seconds) {
  const long long total = std::llround(std::max(0.0, seconds));
  std::ostringstream out;
  if (total >= 3600)
    out << total / 3600 << "h " << (total % 3600) / 60 << "m";
  else if (total >= 60)
    out << total / 60 << "m " << total % 60 << "s";
  else
    out << total << "s";
  return out.str();
}

double number_or(const json::object& o, const char* key, double fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : fallback;
}

std::string string_or(const json::object& o, const char* key, std::string fallback = {}) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::move(fallback);
}

// Draws one record: a bar redrawn in place at a terminal, else one line per
// change of stage or status.
class ProgressPrinter {
 public:
  void record(const json::object& r) {
    const std::string stage = string_or(r, "stage");
    const std::string status = string_or(r, "status");
    const double overall = number_or(r, "overall_progress", 0);
    const auto* eta = r.if_contains("eta_seconds");
    std::string eta_text =
        eta && eta->is_number() ? format_duration(eta->to_number<double>()) : "-";
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(overall / 100.0 * kWidth);
      std::cout << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
                << std::fixed << std::setprecision(2) << std::setw(6) << overall << "%  "
                << std::left << std::setw(16) << (stage.empty() ? status : stage) << std::right
                << " ETA " << std::setw(8) << eta_text << std::flush;
    } else if (stage != last_stage_ || status != last_status_) {
      std::cout << status << " " << stage << " " << std::fixed << std::setprecision(2) << overall
                << "%\n";
    }
    last_stage_ = stage;
    last_status_ = status;
  }
  void finish() {
    if (terminal_)
      std::cout << "\n";
  }

 private:
  bool terminal_ = isatty(STDOUT_FILENO);
  std::string last_stage_;
  std::string last_status_;
};

// Follows the job's stream until `done`: a progress bar (or lines), or with
// `json` every event as one line {"event":..,"data":..}.
int watch_job(const ServerAddress& server, const std::string& job_id, bool json_lines) {
  if (!is_uuid(job_id)) {
    std::cerr << "headway: '" << job_id << "' is not a job id\n";
    return kExitUsage;
  }
  ProgressPrinter printer;
  std::string final_status;
  std::string error;
  const int status = http_event_stream(
      server, "/api/generation/stream/" + job_id + "/",
      [&](std::string_view event, std::string_view data) {
        boost::system::error_code ec;
        auto value = json::parse(json::string_view(data.data(), data.size()), ec);
        if (ec || !value.is_object())
          return true;
        if (json_lines) {
          std::cout << json::serialize(
                           json::object{{"event", json::string_view(event.data(), event.size())},
                                        {"data", value}})
                    << "\n"
                    << std::flush;
        } else if (event == "progress") {
          printer.record(value.as_object());
        }
        if (event == "done") {
          final_status = string_or(value.as_object(), "status");
          return false;
        }
        return true;
      },
      error);
  if (!json_lines)
    printer.finish();
  if (status != 200 || final_status.empty()) {
    std::cerr << "headway: " << (error.empty() ? "the stream ended before the job did" : error)
              << "\n";
    if (status == 0 || (status == 200 && !error.empty()))
      return kExitUnreachable;  // never connected, or the connection broke
    return status == 200 ? kExitFailed : exit_for(status);
  }
  if (!json_lines)
    std::cout << "job " << job_id << " " << final_status << "\n";
  return final_status == "completed" ? kExitOk : kExitFailed;
}

int submit(const ClientOptions& o) {
  auto server = server_of(o);
  auto params = parse_params(o.params);
  if (!server || !params)
    return kExitUsage;
  json::object body{{"type", o.type}, {"params", *params}};
  std::string error;
  auto response =
      http_request(*server, "POST", "/api/generation-jobs/generate/", json::serialize(body), error);
  if (!response)
    return unreachable(error);
  if (response->status != 201) {
    std::cerr << "headway: " << error_message(*response) << "\n";
    return exit_for(response->status);
  }
  boost::system::error_code ec;
  auto created = json::parse(response->body, ec);
  const std::string id = !ec && created.is_object() ? string_or(created.as_object(), "id") : "";
  if (id.empty()) {
    std::cerr << "headway: the server's answer has no job id\n";
    return kExitFailed;
  }
  std::cout << (o.json ? json::serialize(created) : id) << "\n" << std::flush;
  return o.watch ? watch_job(*server, id, o.json) : kExitOk;
}

int list_jobs(const ClientOptions& o) {
  auto server = server_of(o);
  if (!server)
    return kExitUsage;
  std::string target = "/api/generation-jobs/?limit=" + std::to_string(o.limit);
  if (!o.status.empty())
    target += "&status=" + o.status;
  std::string error;
  auto response = http_request(*server, "GET", target, {}, error);
  if (!response)
    return unreachable(error);
  if (response->status != 200) {
    std::cerr << "headway: " << error_message(*response) << "\n";
    return exit_for(response->status);
  }
  boost::system::error_code ec;
  auto page = json::parse(response->body, ec);
  const json::value* results =
      !ec && page.is_object() ? page.as_object().if_contains("results") : nullptr;
  if (!results || !results->is_array()) {
    std::cerr << "headway: unexpected answer from the server\n";
    return kExitFailed;
  }
  if (o.json) {
    std::cout << json::serialize(page) << "\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(38) << "ID" << std::setw(11) << "TYPE" << std::setw(13)
            << "STATUS" << std::setw(17) << "STAGE"
            << "PROGRESS\n";
  for (const auto& item : results->as_array()) {
    if (!item.is_object())
      continue;
    const auto& job = item.as_object();
    std::cout << std::setw(38) << string_or(job, "id") << std::setw(11) << string_or(job, "type")
              << std::setw(13) << string_or(job, "status") << std::setw(17)
              << string_or(job, "stage") << std::fixed << std::setprecision(2)
              << number_or(job, "overall_progress", 0) << "%\n";
  }
  return 0;
}

void add_server_options(CLI::App* cmd, ClientOptions& o) {
  cmd->add_option("--server", o.server_url, "Server URL, http:// or https:// (env HEADWAY_URL)")
      ->capture_default_str();
  cmd->add_option("--token", o.token, "API token (env HEADWAY_TOKEN)");
  cmd->add_option("--cacert", o.cacert,
                  "PEM file of the CAs to trust for an https:// server instead of the system "
                  "store (env HEADWAY_CACERT)");
}

}  // namespace

void register_jobs(CLI::App& app) {
  auto o = std::make_shared<ClientOptions>();

  auto* submit_cmd = app.add_subcommand("submit", "Create a job; prints its id");
  add_server_options(submit_cmd, *o);
  submit_cmd->add_option("type", o->type, "Job type (timetable, command, external)")->required();
  submit_cmd->add_option("--param,-p", o->params, "A parameter as key=value (repeatable)");
  submit_cmd->add_flag("--watch,-w", o->watch, "Then watch it until it ends");
  submit_cmd->add_flag("--json", o->json,
                       "Print the created job as JSON (with --watch, then each event as a line)");
  submit_cmd->callback([o] { set_exit_code(submit(*o)); });

  auto* jobs_cmd = app.add_subcommand("jobs", "List your jobs, newest first");
  add_server_options(jobs_cmd, *o);
  jobs_cmd->add_option("--status", o->status, "Only jobs in this status");
  jobs_cmd->add_option("--limit", o->limit, "At most this many")->check(CLI::Range(1, 1000));
  jobs_cmd->add_flag("--json", o->json,
                     "Print the server's answer as JSON: {\"results\":[...],...}");
  jobs_cmd->callback([o] { set_exit_code(list_jobs(*o)); });

  auto* watch_cmd = app.add_subcommand("watch", "Follow a job's progress live until it ends");
  add_server_options(watch_cmd, *o);
  watch_cmd->add_option("job_id", o->job_id, "Job id")->required();
  watch_cmd->add_flag("--json", o->json, "Print each event as one JSON line {\"event\",\"data\"}");
  watch_cmd->callback([o] {
    auto server = server_of(*o);
    set_exit_code(server ? watch_job(*server, o->job_id, o->json) : kExitUsage);
  });
}

}  // namespace headway::cli
