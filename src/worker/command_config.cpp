#include "worker/command_config.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

namespace headway::worker {
namespace json = boost::json;

namespace {

// Times are compared with the steady clock in nanoseconds; 100 years keep
// that (and the conversion to milliseconds) far from overflowing.
constexpr double kMaxSeconds = 100.0 * 365 * 86400;

// False for NaN, which Boost.JSON 1.81 reads from texts such as 0e3001.
bool in_range(double value, double min, double max) {
  return value >= min && value <= max;
}

JobError config_error(const std::string& where, const std::string& message) {
  return bad_request(where, where + ": " + message);
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

JobResult<CommandSpec> command_from_config(std::string_view name, const json::value& entry,
                                           const std::string& where) {
  if (!entry.is_object())
    return config_error(where, "must be an object");
  CommandSpec spec;
  spec.name = std::string(name);
  bool has_path = false;
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
    } else if (key == "stop_grace_s") {
      if (!value.is_number() || !in_range(value.to_number<double>(), 0, kMaxSeconds))
        return config_error(here, "must be a non-negative number of seconds, at most 100 years");
      spec.stop_grace =
          std::chrono::milliseconds(static_cast<std::int64_t>(value.to_number<double>() * 1000.0));
    } else if (key == "timeout_s") {
      if (!value.is_number() || value.to_number<double>() == 0 ||
          !in_range(value.to_number<double>(), 0, kMaxSeconds))
        return config_error(here, "must be a positive number of seconds, at most 100 years");
      spec.timeout =
          std::chrono::milliseconds(static_cast<std::int64_t>(value.to_number<double>() * 1000.0));
    } else if (key != "help") {
      return config_error(here, "unknown key");
    }
  }
  if (!has_path)
    return config_error(where + ".path", "is required");
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

}  // namespace headway::worker
