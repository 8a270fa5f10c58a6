#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job_error.hpp"

namespace headway::worker {

// One parameter a job type accepts.
struct ParamSpec {
  enum class Type { integer, number, string, boolean };
  std::string name{};
  Type type = Type::string;
  bool required = false;
  // Filled in when the request leaves the parameter out.
  std::optional<boost::json::value> default_value{};
  // Inclusive bounds for integer and number.
  std::optional<double> min{};
  std::optional<double> max{};
  // Strings: at most this many bytes, and one of `one_of` when it is not empty.
  std::size_t max_length = 1000;
  std::vector<std::string> one_of{};
  // Command jobs: the argument that introduces the value ("--count"); empty
  // means the value is passed as a positional argument.
  std::string flag{};
};

const char* to_string(ParamSpec::Type type);

// The parameters a job type accepts: a JSON object whose keys are all known,
// with values of the declared type and range. Immutable; safe to share.
class ParamSchema {
 public:
  ParamSchema() = default;
  explicit ParamSchema(std::vector<ParamSpec> specs) : specs_(std::move(specs)) {}

  // Checks `params` and returns it with defaults filled in, in declaration
  // order. Errors name the field as `prefix.name` (e.g. "params.clusters").
  JobResult<boost::json::object> validate(const boost::json::value& params,
                                          std::string_view prefix) const;

  // Reads a schema from a configuration object: {"name": {"type": "integer",
  // "required": true, "default": 3, "min": 1, "max": 10, "max_length": 100,
  // "one_of": [...], "flag": "--n"}, ...}. `where` prefixes error messages.
  static JobResult<ParamSchema> from_config(const boost::json::object& config,
                                            std::string_view where);

  const std::vector<ParamSpec>& specs() const { return specs_; }

 private:
  std::vector<ParamSpec> specs_;
};

}  // namespace headway::worker
