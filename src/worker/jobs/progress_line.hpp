#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace headway::worker {

// One progress line a `command` job's program printed on stdout
// (docs/worker.md, "Progress lines"):
//
//   headway: stage NAME          start stage NAME of the command's plan
//   headway: progress N/TOTAL    N of TOTAL items of the current stage done
//   headway: progress P%         P percent of the current stage done
//   headway: message TEXT        free text, shown as metadata.message
//
// Anything else is ordinary output and ignored.
struct ProgressLine {
  enum class Kind { stage, count, percent, message };
  Kind kind = Kind::message;
  std::string text;  // stage name or message
  std::int64_t completed = 0;
  std::int64_t total = 0;
  double percent = 0;
};

// Parses one line (without its newline; a trailing '\r' is ignored). Returns
// nullopt for ordinary output and for malformed progress lines.
std::optional<ProgressLine> parse_progress_line(std::string_view line);

}  // namespace headway::worker
