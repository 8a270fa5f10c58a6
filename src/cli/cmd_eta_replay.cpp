#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "core/eta_hedge.hpp"
#include "headway/eta.hpp"

// `headway eta-replay`: replays a progress trace (the eta-bench CSV format,
// header t,progress,stage) through a library ETA estimator, one forward pass, and
// prints the bench's prediction CSV (t,eta_seconds,progress_pct). It is the
// bridge that lets the Python benchmark score exactly the code the Tracker runs.
// Several traces with --out-dir replay each into DIR/<trace file name> in one
// process (the cross-validation driver replays hundreds per setting); --param
// overrides one of the hedge estimator's constants; --interval adds the 80 %
// range as eta_low_seconds,eta_high_seconds; --history gives earlier runs of
// the same job as the estimator's prior.
namespace headway::cli {
namespace {

struct ReplayOptions {
  std::string estimator;
  std::vector<std::string> traces{"-"};
  std::string out_dir;
  std::vector<std::string> params;
  std::vector<std::string> history;
  bool interval = false;
  bool list = false;
};

struct TraceRow {
  std::string t_text;  // echoed verbatim so the bench matches rows exactly
  double t = 0;
  double progress = 0;
  std::string stage;
};

constexpr int kUsageError = 2;

bool parse_number(std::string_view text, double& out) {
  // from_chars rejects leading whitespace and '+', which a CSV writer never emits.
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

// Reads the whole trace before replaying anything, so a malformed file yields
// an error and no partial output.
bool read_trace(std::istream& in, const std::string& source, std::vector<TraceRow>& rows) {
  std::string line;
  std::size_t line_no = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!header_seen) {
      if (line != "t,progress,stage") {
        std::cerr << "headway eta-replay: " << source << ":" << line_no
                  << ": expected the header 't,progress,stage'\n";
        return false;
      }
      header_seen = true;
      continue;
    }
    if (line.empty())
      continue;
    const auto first = line.find(',');
    const auto second = first == std::string::npos ? first : line.find(',', first + 1);
    TraceRow row;
    const std::string_view view(line);
    if (second == std::string::npos || !parse_number(view.substr(0, first), row.t) ||
        !parse_number(view.substr(first + 1, second - first - 1), row.progress)) {
      std::cerr << "headway eta-replay: " << source << ":" << line_no
                << ": expected 't,progress,stage' with numeric t and progress, got '" << line
                << "'\n";
      return false;
    }
    if (!rows.empty() && row.t < rows.back().t) {
      std::cerr << "headway eta-replay: " << source << ":" << line_no << ": t goes backwards ("
                << row.t << " after " << rows.back().t << ")\n";
      return false;
    }
    row.t_text.assign(view.substr(0, first));
    row.stage.assign(view.substr(second + 1));
    rows.push_back(std::move(row));
  }
  if (!header_seen) {
    std::cerr << "headway eta-replay: " << source << ": empty input (no header)\n";
    return false;
  }
  return true;
}

// Builds the estimator the options name, with --param overrides applied (only
// the hedge estimator has settings); nullptr after printing why.
std::unique_ptr<EtaEstimator> make_estimator(const ReplayOptions& options) {
  const std::string name =
      options.estimator.empty() ? eta_estimator_names().front() : options.estimator;
  if (options.params.empty()) {
    auto estimator = make_eta_estimator(name);
    if (!estimator) {
      std::cerr << "headway eta-replay: unknown estimator '" << name << "' (known:";
      for (const auto& known : eta_estimator_names())
        std::cerr << " " << known;
      std::cerr << ")\n";
    }
    return estimator;
  }
  if (name != "hedge") {
    std::cerr << "headway eta-replay: --param applies to the hedge estimator only\n";
    return nullptr;
  }
  eta::HedgeSettings settings;
  for (const auto& param : options.params) {
    const auto equals = param.find('=');
    double value = 0;
    if (equals == std::string::npos ||
        !parse_number(std::string_view(param).substr(equals + 1), value) ||
        !settings.set(std::string_view(param).substr(0, equals), value)) {
      std::cerr << "headway eta-replay: bad --param '" << param << "' (NAME=NUMBER; names:";
      for (const auto& field : eta::HedgeSettings::fields())
        std::cerr << " " << field.name;
      std::cerr << ")\n";
      return nullptr;
    }
  }
  return std::make_unique<eta::HedgeEstimator>(settings);
}

void append_number(std::string& out, const char* format, double value) {
  char number[64];
  std::snprintf(number, sizeof number, format, value);
  out += number;
}

std::string replay(EtaEstimator& estimator, const std::vector<TraceRow>& rows, bool interval) {
  std::string out = "t,eta_seconds,progress_pct";
  out += interval ? ",eta_low_seconds,eta_high_seconds\n" : "\n";
  for (const auto& row : rows) {
    estimator.observe(row.t, row.progress, row.stage);
    out += row.t_text;
    out += ',';
    const std::optional<double> eta = estimator.estimate(row.t);
    if (eta && std::isfinite(*eta))
      append_number(out, "%.3f", *eta);
    out += ',';
    // Without a calibrated percent, print the one the bench would imply from
    // the ETA, so estimators without display_percent() score as if the column
    // were absent.
    std::optional<double> shown = estimator.display_percent(row.t);
    if (!shown && eta && std::isfinite(*eta) && row.t + *eta > 0) {
      shown = 100.0 * row.t / (row.t + *eta);
    }
    if (shown)
      append_number(out, "%.4f", *shown);
    if (interval) {
      const std::optional<EtaRange> range = estimator.range(row.t);
      out += ',';
      if (range && std::isfinite(range->low))
        append_number(out, "%.3f", range->low);
      out += ',';
      if (range && std::isfinite(range->high))
        append_number(out, "%.3f", range->high);
    }
    out += '\n';
  }
  return out;
}

bool read_trace_source(const std::string& source, std::vector<TraceRow>& rows) {
  if (source == "-")
    return read_trace(std::cin, "<stdin>", rows);
  std::ifstream file(source);
  if (!file) {
    std::cerr << "headway eta-replay: cannot read '" << source << "'\n";
    return false;
  }
  return read_trace(file, source, rows);
}

int run_replay(const ReplayOptions& options) {
  if (options.list) {
    for (const auto& name : eta_estimator_names())
      std::cout << name << "\n";
    return 0;
  }
  if (!make_estimator(options))
    return kUsageError;
  if (options.traces.size() > 1 && options.out_dir.empty()) {
    std::cerr << "headway eta-replay: several traces need --out-dir\n";
    return kUsageError;
  }
  // Earlier runs of the same job, given to every estimator as its prior.
  std::vector<std::vector<std::pair<double, double>>> runs;
  for (const auto& source : options.history) {
    std::vector<TraceRow> rows;
    if (source == "-" || !read_trace_source(source, rows))
      return kUsageError;
    auto& run = runs.emplace_back();
    for (const auto& row : rows)
      run.emplace_back(row.t, row.progress);
  }
  const EtaHistory history = EtaHistory::from_runs(runs);
  for (const auto& source : options.traces) {
    std::vector<TraceRow> rows;
    if (!read_trace_source(source, rows))
      return kUsageError;
    auto estimator = make_estimator(options);
    if (history.runs > 0)
      estimator->set_history(history);
    const std::string out = replay(*estimator, rows, options.interval);
    if (options.out_dir.empty()) {
      std::cout << out << std::flush;
      if (!std::cout)
        return 1;
      continue;
    }
    const auto name = source == "-" ? std::filesystem::path("stdin.csv")
                                    : std::filesystem::path(source).filename();
    std::ofstream file(std::filesystem::path(options.out_dir) / name);
    file << out;
    if (!file.flush()) {
      std::cerr << "headway eta-replay: cannot write into '" << options.out_dir << "'\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

void register_eta_replay(CLI::App& app) {
  auto options = std::make_shared<ReplayOptions>();
  auto* cmd = app.add_subcommand(
      "eta-replay", "Replay a progress trace (t,progress,stage CSV) through an ETA estimator");
  cmd->add_option("--estimator,-e", options->estimator,
                  "Estimator name (default: the Tracker's default; see --list)");
  cmd->add_flag("--list", options->list, "Print the estimator names and exit");
  cmd->add_option("--out-dir", options->out_dir,
                  "Write each trace's predictions to DIR/<trace file name> instead of stdout")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--param", options->params,
                  "NAME=VALUE: override one of the hedge estimator's constants (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--history", options->history,
                  "A trace of an earlier run of the same job, used as the prior (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--interval", options->interval,
                "Also print the 80 % range (eta_low_seconds,eta_high_seconds)");
  cmd->add_option("trace", options->traces, "Trace CSV files, or - for standard input")
      ->capture_default_str();
  cmd->callback([options] { set_exit_code(run_replay(*options)); });
}

}  // namespace headway::cli
