#include "jobs/param_schema.hpp"

#include <cmath>

namespace headway::worker {
namespace json = boost::json;

namespace {

std::string field_name(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

std::string format_bound(double value) {
  if (std::floor(value) == value && std::abs(value) < 1e15)
    return std::to_string(static_cast<long long>(value));
  return std::to_string(value);
}

std::optional<double> as_number(const json::value& value) {
  if (value.is_int64())
    return static_cast<double>(value.get_int64());
  if (value.is_uint64())
    return static_cast<double>(value.get_uint64());
  if (value.is_double())
    return value.get_double();
  return std::nullopt;
}

// Checks one present value against its spec; returns the value to store
// (integers normalized to int64) or an error.
JobResult<json::value> check_value(const ParamSpec& spec, const json::value& value,
                                   const std::string& field) {
  using Type = ParamSpec::Type;
  switch (spec.type) {
    case Type::boolean:
      if (!value.is_bool())
        return invalid_input(field, field + ": must be true or false");
      return value;
    case Type::string: {
      if (!value.is_string())
        return invalid_input(field, field + ": must be a string");
      const auto& text = value.get_string();
      if (text.size() > spec.max_length) {
        return invalid_input(
            field, field + ": must be at most " + std::to_string(spec.max_length) + " bytes long");
      }
      if (text.find('\0') != json::string::npos)
        return invalid_input(field, field + ": must not contain NUL characters");
      if (!spec.one_of.empty()) {
        bool known = false;
        std::string allowed;
        for (const auto& option : spec.one_of) {
          known = known || option == text;
          allowed += (allowed.empty() ? "" : ", ") + option;
        }
        if (!known)
          return invalid_input(field, field + ": must be one of " + allowed);
      }
      return value;
    }
    case Type::integer:
    case Type::number: {
      const auto number = as_number(value);
      if (!number || !std::isfinite(*number)) {
        return invalid_input(field, field + (spec.type == Type::integer ? ": must be an integer"
                                                                        : ": must be a number"));
      }
      // Boost.JSON reads every integer that fits as int64; 2.0 is a double.
      if (spec.type == Type::integer && !value.is_int64())
        return invalid_input(field, field + ": must be an integer");
      if ((spec.min && *number < *spec.min) || (spec.max && *number > *spec.max)) {
        std::string range = spec.min && spec.max ? "between " + format_bound(*spec.min) + " and " +
                                                       format_bound(*spec.max)
                            : spec.min ? "at least " + format_bound(*spec.min)
                                       : "at most " + format_bound(*spec.max);
        return invalid_input(field, field + ": must be " + range);
      }
      return value;
    }
  }
  return invalid_input(field, field + ": unsupported parameter type");
}

std::optional<ParamSpec::Type> parse_type(std::string_view name) {
  using Type = ParamSpec::Type;
  for (Type type : {Type::integer, Type::number, Type::string, Type::boolean}) {
    if (name == to_string(type))
      return type;
  }
  return std::nullopt;
}

JobError config_error(std::string_view where, std::string message) {
  return invalid_input(std::string(where), std::string(where) + ": " + std::move(message));
}

JobResult<ParamSpec> spec_from_config(std::string_view name, const json::value& entry,
                                      std::string_view where) {
  const std::string here = field_name(where, name);
  if (!entry.is_object())
    return config_error(here, "must be an object");
  ParamSpec spec;
  spec.name = std::string(name);
  for (const auto& [key, value] : entry.get_object()) {
    if (key == "type") {
      auto type = value.is_string() ? parse_type(value.get_string()) : std::nullopt;
      if (!type)
        return config_error(here, "type must be integer, number, string or boolean");
      spec.type = *type;
    } else if (key == "required") {
      if (!value.is_bool())
        return config_error(here, "required must be true or false");
      spec.required = value.get_bool();
    } else if (key == "default") {
      spec.default_value = value;
    } else if (key == "min" || key == "max") {
      auto number = as_number(value);
      // A huge exponent such as 0e3009 parses to NaN, which no comparison rejects.
      if (!number || !std::isfinite(*number))
        return config_error(here, std::string(key) + " must be a finite number");
      (key == "min" ? spec.min : spec.max) = *number;
    } else if (key == "max_length") {
      if (!value.is_int64() || value.get_int64() < 1)
        return config_error(here, "max_length must be a positive integer");
      spec.max_length = static_cast<std::size_t>(value.get_int64());
    } else if (key == "one_of") {
      if (!value.is_array())
        return config_error(here, "one_of must be an array of strings");
      for (const auto& option : value.get_array()) {
        if (!option.is_string())
          return config_error(here, "one_of must be an array of strings");
        spec.one_of.emplace_back(option.get_string());
      }
    } else if (key == "flag") {
      if (!value.is_string() || value.get_string().empty())
        return config_error(here, "flag must be a non-empty string");
      spec.flag = std::string(value.get_string());
    } else if (key != "help") {
      return config_error(here, "unknown key '" + std::string(key) + "'");
    }
  }
  if (spec.type == ParamSpec::Type::boolean && spec.flag.empty())
    return config_error(here, "a boolean parameter needs a flag");
  if (spec.min && spec.max && *spec.min > *spec.max)
    return config_error(here, "min must not be greater than max");
  if (spec.default_value) {
    auto checked = check_value(spec, *spec.default_value, here + ".default");
    if (!checked)
      return config_error(here, "default does not fit: " + checked.error().message);
  }
  return spec;
}

}  // namespace

const char* to_string(ParamSpec::Type type) {
  switch (type) {
    case ParamSpec::Type::integer:
      return "integer";
    case ParamSpec::Type::number:
      return "number";
    case ParamSpec::Type::string:
      return "string";
    case ParamSpec::Type::boolean:
      return "boolean";
  }
  return "unknown";
}

JobResult<json::object> ParamSchema::validate(const json::value& params,
                                              std::string_view prefix) const {
  const std::string where = prefix.empty() ? "params" : std::string(prefix);
  if (!params.is_object())
    return invalid_input(where, where + ": must be a JSON object");
  const auto& given = params.get_object();
  for (const auto& [key, value] : given) {
    bool known = false;
    for (const auto& spec : specs_)
      known = known || spec.name == key;
    if (!known) {
      std::string accepted;
      for (const auto& spec : specs_)
        accepted += (accepted.empty() ? "" : ", ") + spec.name;
      const std::string field = field_name(prefix, key);
      return invalid_input(
          field, field + ": unknown parameter" +
                     (accepted.empty() ? "; this job type takes none" : "; accepted: " + accepted));
    }
  }
  json::object normalized;
  for (const auto& spec : specs_) {
    const std::string field = field_name(prefix, spec.name);
    const json::value* value = given.if_contains(spec.name);
    if (value == nullptr || value->is_null()) {
      if (spec.required)
        return invalid_input(field, field + ": is required");
      if (spec.default_value)
        normalized[spec.name] = *spec.default_value;
      continue;
    }
    auto checked = check_value(spec, *value, field);
    if (!checked)
      return checked.error();
    normalized[spec.name] = std::move(*checked);
  }
  return normalized;
}

JobResult<ParamSchema> ParamSchema::from_config(const json::object& config,
                                                std::string_view where) {
  std::vector<ParamSpec> specs;
  for (const auto& [name, entry] : config) {
    if (name.empty())
      return config_error(where, "parameter names must not be empty");
    auto spec = spec_from_config(name, entry, where);
    if (!spec)
      return spec.error();
    specs.push_back(std::move(*spec));
  }
  return ParamSchema(std::move(specs));
}

}  // namespace headway::worker
