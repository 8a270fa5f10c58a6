// The worker's configuration file (docs/worker.md) and the `command` job
// parameters validated against it, as the server and the worker both do. The
// input is the configuration JSON, then optionally a NUL byte and a request's
// `args` object. Errors are values (nothing throws); an accepted
// configuration has absolute paths, plans covering 0-100 % and times a timer
// can wait for; validated arguments obey their schema, validate again to
// themselves and become an argument vector that cannot smuggle in an option.
#include <chrono>
#include <cmath>
#include <string>

#include "fuzz_check.hpp"
#include "jobs/command_config.hpp"

namespace {

namespace json = boost::json;
using headway::worker::CommandSpec;
using headway::worker::ParamSpec;

bool fits_a_timer(std::chrono::milliseconds duration) {
  using Tick = std::chrono::steady_clock::duration;
  constexpr auto max_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Tick::max()).count() / 2;
  return duration.count() >= 0 && duration.count() <= max_ms;
}

void check_spec(const CommandSpec& spec) {
  FUZZ_CHECK(!spec.name.empty());
  FUZZ_CHECK(spec.path.is_absolute());
  FUZZ_CHECK(spec.plan.size() > 0);
  FUZZ_CHECK(spec.plan[0].start == 0);
  FUZZ_CHECK(std::abs(spec.plan[spec.plan.size() - 1].end - 100) < 1e-6);
  for (std::size_t i = 1; i < spec.plan.size(); ++i)
    FUZZ_CHECK(spec.plan[i].start == spec.plan[i - 1].end);
  FUZZ_CHECK(fits_a_timer(spec.stop_grace));
  if (spec.timeout)
    FUZZ_CHECK(spec.timeout->count() > 0 && fits_a_timer(*spec.timeout));
}

void check_value(const ParamSpec& spec, const json::value& value) {
  switch (spec.type) {
    case ParamSpec::Type::boolean:
      FUZZ_CHECK(value.is_bool());
      break;
    case ParamSpec::Type::integer:
      FUZZ_CHECK(value.is_int64());
      break;
    case ParamSpec::Type::number:
      FUZZ_CHECK(value.is_number());
      break;
    case ParamSpec::Type::string:
      FUZZ_CHECK(value.is_string());
      FUZZ_CHECK(value.get_string().size() <= spec.max_length);
      break;
  }
  if (value.is_number() && !value.is_bool()) {
    const double number = value.to_number<double>();
    FUZZ_CHECK(!spec.min || number >= *spec.min);
    FUZZ_CHECK(!spec.max || number <= *spec.max);
  }
}

void check_args(const CommandSpec& spec, std::string_view args_text) {
  boost::system::error_code ec;
  const json::value args = json::parse(json::string_view(args_text.data(), args_text.size()), ec);
  if (ec)
    return;
  const auto validated = spec.params.validate(args, "params.args");
  if (!validated) {
    FUZZ_CHECK(!validated.error().message.empty());
    return;
  }
  for (const auto& param : spec.params.specs()) {
    const auto* value = validated->if_contains(param.name);
    FUZZ_CHECK(value || !param.required);
    if (value)
      check_value(param, *value);
  }
  FUZZ_CHECK(validated->size() <= spec.params.specs().size());
  const auto again = spec.params.validate(*validated, "params.args");
  FUZZ_CHECK(again && *again == *validated);

  const auto argv = headway::worker::command_argv(spec, *validated);
  if (!argv)
    return;
  FUZZ_CHECK(argv->size() >= 1 + spec.args.size());
  FUZZ_CHECK((*argv)[0] == spec.path.string());
  for (std::size_t i = 0; i < spec.args.size(); ++i)
    FUZZ_CHECK((*argv)[1 + i] == spec.args[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const auto input = headway::fuzz::as_text(data, size);
  const auto separator = input.find('\0');
  const auto config_text = input.substr(0, separator);
  try {
    const auto config = headway::worker::parse_worker_config(config_text, "config.json");
    if (!config) {
      FUZZ_CHECK(!config.error().message.empty());
      return 0;
    }
    for (const auto& [name, spec] : config->commands) {
      FUZZ_CHECK(name == spec.name);
      check_spec(spec);
      if (separator != std::string_view::npos)
        check_args(spec, input.substr(separator + 1));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "exception escaped: %s\n", error.what());
    FUZZ_CHECK(!"parse_worker_config returns errors as values");
  }
  return 0;
}
