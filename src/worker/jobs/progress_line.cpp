#include "worker/jobs/progress_line.hpp"

#include <charconv>
#include <cmath>

namespace headway::worker {

namespace {

constexpr std::string_view kPrefix = "headway: ";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end)
    return std::nullopt;
  return value;
}

std::optional<ProgressLine> parse_progress(std::string_view argument) {
  ProgressLine line;
  if (!argument.empty() && argument.back() == '%') {
    auto percent = parse_number<double>(trim(argument.substr(0, argument.size() - 1)));
    if (!percent || !std::isfinite(*percent))
      return std::nullopt;
    line.kind = ProgressLine::Kind::percent;
    line.percent = *percent;
    return line;
  }
  const auto slash = argument.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto completed = parse_number<std::int64_t>(trim(argument.substr(0, slash)));
  auto total = parse_number<std::int64_t>(trim(argument.substr(slash + 1)));
  if (!completed || !total || *total <= 0 || *completed < 0)
    return std::nullopt;
  line.kind = ProgressLine::Kind::count;
  line.completed = *completed;
  line.total = *total;
  return line;
}

}  // namespace

std::optional<ProgressLine> parse_progress_line(std::string_view text) {
  if (!text.starts_with(kPrefix))
    return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const auto space = text.find(' ');
  const std::string_view verb = text.substr(0, space);
  const std::string_view argument =
      space == std::string_view::npos ? std::string_view() : trim(text.substr(space + 1));
  if (verb == "progress")
    return parse_progress(argument);
  if ((verb == "stage" || verb == "message") && !argument.empty()) {
    ProgressLine line;
    line.kind = verb == "stage" ? ProgressLine::Kind::stage : ProgressLine::Kind::message;
    line.text = std::string(argument);
    return line;
  }
  return std::nullopt;
}

}  // namespace headway::worker
