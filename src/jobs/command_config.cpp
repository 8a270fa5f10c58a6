#include "jobs/command_config.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/duration.hpp"
#include "core/progress_record.hpp"

namespace headway::worker {
namespace json = boost::json;

namespace {

std::string argument_text(const json::value& value) {
  if (value.is_string())
    return std::string(value.get_string());
  if (value.is_int64())
    return std::to_string(value.get_int64());
  std::string text;
  append_json_number(text, value.to_number<double>());
  return text;
}

// Times are compared with the steady clock in nanoseconds; 100 years keep
// that (and the conversion to milliseconds) far from overflowing.
constexpr double kMaxSeconds = 100.0 * 365 * 86400;

// False for NaN, which Boost.JSON 1.81 reads from texts such as 0e3001.
bool in_range(double value, double min, double max) {
  return value >= min && value <= max;
}

JobError config_error(const std::string& where, const std::string& message) {
  return invalid_input(where, where + ": " + message);
}

JobResult<StagePlan> plan_from_config(const json::value& value, const std::string& where) {
  if (!value.is_array() || value.get_array().empty())
    return config_error(where, "must be a non-empty array of {\"name\", \"weight\"}");
  std::vector<std::pair<std::string, double>> weights;
  for (const auto& entry : value.get_array()) {
    const auto* object = entry.if_object();
    const auto* name = object ? object->if_contains("name") : nullptr;
    const auto* weight = object ? object->if_contains("weight") : nullptr;
    if (!name || !name->is_string() || !weight || !weight->is_number())
      return config_error(where, "each stage needs a string name and a numeric weight");
    weights.emplace_back(std::string(name->get_string()), weight->to_number<double>());
  }
  try {
    return StagePlan::from_weights(weights);
  } catch (const std::invalid_argument& error) {
    return config_error(where, error.what());
  }
}

// A time: a duration string as every setting writes one ("10s", "5m"; the
// keys without _s), or a number of seconds (the older keys ending in _s).
JobResult<std::chrono::milliseconds> duration_from_config(const json::value& value,
                                                          const std::string& where, bool positive) {
  const bool seconds_key = where.ends_with("_s");
  std::chrono::milliseconds parsed{};
  if (seconds_key && value.is_number() && in_range(value.to_number<double>(), 0, kMaxSeconds)) {
    parsed =
        std::chrono::milliseconds(static_cast<std::int64_t>(value.to_number<double>() * 1000.0));
  } else if (seconds_key || !value.is_string() ||
             !parse_duration(std::string_view(value.get_string()), parsed)) {
    return config_error(where, seconds_key
                                   ? "must be a number of seconds, at most 100 years"
                                   : "must be a duration such as \"10s\" or \"5m\", at most "
                                     "100 years");
  }
  if (positive && parsed.count() == 0)
    return config_error(where, "must be positive");
  return parsed;
}

JobResult<CommandSpec> command_from_config(std::string_view name, const json::value& entry,
                                           const std::string& where) {
  if (!entry.is_object())
    return config_error(where, "must be an object");
  CommandSpec spec;
  spec.name = std::string(name);
  bool has_path = false;
  int grace_keys = 0;
  int timeout_keys = 0;
  for (const auto& [key, value] : entry.get_object()) {
    const std::string here = where + "." + std::string(key);
    if (key == "path") {
      if (!value.is_string() || !std::filesystem::path(value.get_string().c_str()).is_absolute())
        return config_error(here, "must be an absolute path");
      spec.path = value.get_string().c_str();
      has_path = true;
    } else if (key == "args") {
      if (!value.is_array())
        return config_error(here, "must be an array of strings");
      for (const auto& arg : value.get_array()) {
        if (!arg.is_string())
          return config_error(here, "must be an array of strings");
        spec.args.emplace_back(arg.get_string());
      }
    } else if (key == "params") {
      if (!value.is_object())
        return config_error(here, "must be an object");
      auto schema = ParamSchema::from_config(value.get_object(), here);
      if (!schema)
        return schema.error();
      spec.params = std::move(*schema);
    } else if (key == "stages") {
      auto plan = plan_from_config(value, here);
      if (!plan)
        return plan.error();
      spec.plan = std::move(*plan);
    } else if (key == "stop_grace" || key == "stop_grace_s") {
      auto grace = duration_from_config(value, here, false);
      if (!grace)
        return grace.error();
      spec.stop_grace = *grace;
      ++grace_keys;
    } else if (key == "timeout" || key == "timeout_s") {
      auto timeout = duration_from_config(value, here, true);
      if (!timeout)
        return timeout.error();
      spec.timeout = *timeout;
      ++timeout_keys;
    } else if (key != "help") {
      return config_error(here, "unknown key");
    }
  }
  if (!has_path)
    return config_error(where + ".path", "is required");
  if (grace_keys > 1 || timeout_keys > 1)
    return config_error(where, "give stop_grace or stop_grace_s, timeout or timeout_s, not both");
  return spec;
}

}  // namespace

JobResult<WorkerConfig> parse_worker_config(std::string_view json_text, std::string_view source) {
  const std::string where(source);
  boost::system::error_code parse_error;
  const json::value root = json::parse(json_text, parse_error);
  if (parse_error)
    return config_error(where, "not valid JSON: " + parse_error.message());
  if (!root.is_object())
    return config_error(where, "must be a JSON object");
  WorkerConfig config;
  for (const auto& [key, value] : root.get_object()) {
    if (key != "commands")
      return config_error(where + "." + std::string(key), "unknown key");
    if (!value.is_object())
      return config_error(where + ".commands", "must be an object");
    for (const auto& [name, entry] : value.get_object()) {
      if (name.empty())
        return config_error(where + ".commands", "command names must not be empty");
      auto spec = command_from_config(name, entry, where + ".commands." + std::string(name));
      if (!spec)
        return spec.error();
      config.commands.emplace(std::string(name), std::move(*spec));
    }
  }
  return config;
}

JobResult<WorkerConfig> load_worker_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return config_error(file.string(), "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  auto config = parse_worker_config(text.str(), file.string());
  if (!config)
    return config;
  for (const auto& [name, spec] : config->commands) {
    if (::access(spec.path.c_str(), X_OK) != 0) {
      return config_error(file.string() + ".commands." + name + ".path",
                          spec.path.string() + " is not an executable file");
    }
  }
  return config;
}

JobResult<std::vector<std::string>> command_argv(const CommandSpec& spec,
                                                 const json::object& args) {
  std::vector<std::string> argv{spec.path.string()};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  for (const auto& param : spec.params.specs()) {
    const json::value* value = args.if_contains(param.name);
    if (value == nullptr || value->is_null())
      continue;
    if (param.type == ParamSpec::Type::boolean) {
      if (value->as_bool())
        argv.push_back(param.flag);
      continue;
    }
    std::string text = argument_text(*value);
    if (param.flag.empty() && text.starts_with("-")) {
      const std::string field = "params.args." + param.name;
      return invalid_input(field, field + ": must not start with '-'");
    }
    if (!param.flag.empty())
      argv.push_back(param.flag);
    argv.push_back(std::move(text));
  }
  return argv;
}

}  // namespace headway::worker
