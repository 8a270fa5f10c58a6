#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "headway/eta.hpp"

// `headway eta-replay`: replays a progress trace (the eta-bench CSV format,
// header t,progress,stage) through a library ETA estimator, one forward pass, and
// prints the bench's prediction CSV (t,eta_seconds,progress_pct). It is the
// bridge that lets the Python benchmark score exactly the code the Tracker runs.
namespace headway::cli {
namespace {

struct ReplayOptions {
  std::string estimator;
  std::string trace = "-";
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

int run_replay(const ReplayOptions& options) {
  if (options.list) {
    for (const auto& name : eta_estimator_names())
      std::cout << name << "\n";
    return 0;
  }
  const std::string name =
      options.estimator.empty() ? eta_estimator_names().front() : options.estimator;
  auto estimator = make_eta_estimator(name);
  if (!estimator) {
    std::cerr << "headway eta-replay: unknown estimator '" << name << "' (known:";
    for (const auto& known : eta_estimator_names())
      std::cerr << " " << known;
    std::cerr << ")\n";
    return kUsageError;
  }

  std::vector<TraceRow> rows;
  if (options.trace == "-") {
    if (!read_trace(std::cin, "<stdin>", rows))
      return kUsageError;
  } else {
    std::ifstream file(options.trace);
    if (!file) {
      std::cerr << "headway eta-replay: cannot read '" << options.trace << "'\n";
      return kUsageError;
    }
    if (!read_trace(file, options.trace, rows))
      return kUsageError;
  }

  std::string out = "t,eta_seconds,progress_pct\n";
  char number[64];
  for (const auto& row : rows) {
    estimator->observe(row.t, row.progress, row.stage);
    out += row.t_text;
    out += ',';
    const std::optional<double> eta = estimator->estimate(row.t);
    if (eta && std::isfinite(*eta)) {
      std::snprintf(number, sizeof number, "%.3f", *eta);
      out += number;
    }
    out += ',';
    // Without a calibrated percent, print the one the bench would imply from
    // the ETA, so estimators without display_percent() score as if the column
    // were absent.
    std::optional<double> shown = estimator->display_percent(row.t);
    if (!shown && eta && std::isfinite(*eta) && row.t + *eta > 0) {
      shown = 100.0 * row.t / (row.t + *eta);
    }
    if (shown) {
      std::snprintf(number, sizeof number, "%.4f", *shown);
      out += number;
    }
    out += '\n';
  }
  std::cout << out << std::flush;
  return std::cout ? 0 : 1;
}

}  // namespace

void register_eta_replay(CLI::App& app) {
  auto options = std::make_shared<ReplayOptions>();
  auto* cmd = app.add_subcommand(
      "eta-replay", "Replay a progress trace (t,progress,stage CSV) through an ETA estimator");
  cmd->add_option("--estimator,-e", options->estimator,
                  "Estimator name (default: the Tracker's default; see --list)");
  cmd->add_flag("--list", options->list, "Print the estimator names and exit");
  cmd->add_option("trace", options->trace, "Trace CSV file, or - for standard input")
      ->capture_default_str();
  cmd->callback([options] { set_exit_code(run_replay(*options)); });
}

}  // namespace headway::cli
