// The progress lines a `command` job's program prints (docs/worker.md,
// "Progress lines"). The input is a program's whole output: every line is
// parsed as the worker parses it. A parsed line holds only values the Tracker
// can take (counts non-negative with a positive total, finite percents,
// trimmed non-empty text), and its canonical form parses back to the same.
#include <charconv>
#include <cmath>
#include <string>

#include "fuzz_check.hpp"
#include "worker/jobs/progress_line.hpp"

namespace {

using headway::worker::parse_progress_line;
using headway::worker::ProgressLine;

// What the parser trims: blanks on both sides, and a trailing '\r'.
bool trimmed(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  return !blank(text.front()) && !blank(text.back()) && text.back() != '\r';
}

std::string canonical(const ProgressLine& line) {
  switch (line.kind) {
    case ProgressLine::Kind::stage:
      return "headway: stage " + line.text;
    case ProgressLine::Kind::message:
      return "headway: message " + line.text;
    case ProgressLine::Kind::count:
      return "headway: progress " + std::to_string(line.completed) + "/" +
             std::to_string(line.total);
    case ProgressLine::Kind::percent: {
      char buffer[64];
      const auto end = std::to_chars(buffer, buffer + sizeof buffer, line.percent).ptr;
      return "headway: progress " + std::string(buffer, end) + "%";
    }
  }
  return {};
}

void check_line(std::string_view text) {
  const auto line = parse_progress_line(text);
  if (!line)
    return;
  FUZZ_CHECK(text.starts_with("headway: "));
  switch (line->kind) {
    case ProgressLine::Kind::stage:
    case ProgressLine::Kind::message:
      FUZZ_CHECK(!line->text.empty());
      FUZZ_CHECK(trimmed(line->text));
      break;
    case ProgressLine::Kind::count:
      FUZZ_CHECK(line->completed >= 0);
      FUZZ_CHECK(line->total > 0);
      break;
    case ProgressLine::Kind::percent:
      FUZZ_CHECK(std::isfinite(line->percent));
      break;
  }
  const auto again = parse_progress_line(canonical(*line));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->kind == line->kind);
  FUZZ_CHECK(again->text == line->text);
  FUZZ_CHECK(again->completed == line->completed);
  FUZZ_CHECK(again->total == line->total);
  FUZZ_CHECK(again->percent == line->percent);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view output = headway::fuzz::as_text(data, size);
  while (!output.empty()) {
    const auto newline = output.find('\n');
    check_line(output.substr(0, newline));
    if (newline == std::string_view::npos)
      break;
    output.remove_prefix(newline + 1);
  }
  return 0;
}
