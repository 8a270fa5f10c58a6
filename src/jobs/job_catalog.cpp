#include "jobs/job_catalog.hpp"

#include <utility>

namespace headway::worker {
namespace json = boost::json;

namespace {

JobResult<ValidatedJob> validate_command(const WorkerConfig& config, const json::value& params) {
  if (!params.is_object())
    return invalid_input("params", "params: must be a JSON object");
  const auto& object = params.get_object();
  for (const auto& [key, value] : object) {
    if (key != "command" && key != "args") {
      return invalid_input(
          "params." + std::string(key),
          "params." + std::string(key) + ": unknown parameter; accepted: command, args");
    }
  }
  const json::value* name = object.if_contains("command");
  if (name == nullptr || !name->is_string())
    return invalid_input("params.command", "params.command: is required and must be a string");
  const auto spec = config.commands.find(std::string_view(name->get_string()));
  if (spec == config.commands.end()) {
    std::string known;
    for (const auto& [command, unused] : config.commands)
      known += (known.empty() ? "" : ", ") + command;
    return invalid_input(
        "params.command",
        "params.command: '" + std::string(name->get_string()) + "' is not an allowed command" +
            (known.empty() ? " (no commands are configured)" : "; allowed: " + known));
  }
  const json::value* args = object.if_contains("args");
  auto checked =
      spec->second.params.validate(args ? *args : json::value(json::object()), "params.args");
  if (!checked)
    return checked.error();
  if (auto argv = command_argv(spec->second, *checked); !argv)
    return argv.error();
  ValidatedJob job{"command", json::object{{"command", name->get_string()}, {"args", *checked}},
                   spec->second.plan, true};
  return job;
}

}  // namespace

ParamSchema timetable_schema() {
  const StagePlan plan = StagePlan::reference();
  std::vector<std::string> names;
  for (const auto& stage : plan.stages())
    names.emplace_back(stage.name);
  ParamSpec clusters{.name = "clusters",
                     .type = ParamSpec::Type::integer,
                     .default_value = json::value(216),
                     .min = 1,
                     .max = 100000};
  ParamSpec duration{.name = "duration_s",
                     .type = ParamSpec::Type::number,
                     .default_value = json::value(60),
                     .min = 0,
                     .max = 86400};
  ParamSpec fail_at{.name = "fail_at", .type = ParamSpec::Type::string, .one_of = names};
  ParamSpec seed{.name = "seed", .type = ParamSpec::Type::integer, .min = 0};
  return ParamSchema({clusters, duration, fail_at, seed});
}

std::vector<std::string> JobCatalog::type_names() {
  return {"timetable", "command", "external"};
}

JobResult<ValidatedJob> JobCatalog::validate(std::string_view type,
                                             const json::value& params) const {
  if (type == "timetable") {
    auto checked = timetable_schema().validate(params, "params");
    if (!checked)
      return checked.error();
    return ValidatedJob{"timetable", std::move(*checked), StagePlan::reference(), true};
  }
  if (type == "command")
    return validate_command(config_, params);
  if (type == "external") {
    // Free-form: the external program interprets its own parameters.
    if (!params.is_object())
      return invalid_input("params", "params: must be a JSON object");
    return ValidatedJob{"external", params.get_object(), std::nullopt, false};
  }
  std::string known;
  for (const auto& name : type_names())
    known += (known.empty() ? "" : ", ") + name;
  return invalid_input("type",
                       "type: unknown job type '" + std::string(type) + "'; known: " + known);
}

JobResult<ValidatedJob> JobCatalog::validate_json(std::string_view type,
                                                  std::string_view params_json) const {
  if (params_json.empty())
    return validate(type, json::value(json::object()));
  boost::system::error_code error;
  json::value params = json::parse(params_json, error);
  if (error)
    return invalid_input("params", "params: not valid JSON: " + error.message());
  return validate(type, params);
}

}  // namespace headway::worker
