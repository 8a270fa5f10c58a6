#include "core/duration.hpp"

#include <charconv>
#include <cmath>

namespace headway {
namespace {

constexpr double kMaxDurationMs = 100.0 * 365 * 86400000;

}  // namespace

bool parse_duration(std::string_view text, std::chrono::milliseconds& out) {
  double scale = 1000;  // bare numbers are seconds
  if (text.ends_with("ms")) {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 60000;
    text.remove_suffix(1);
  } else if (text.ends_with("h")) {
    scale = 3600000;
    text.remove_suffix(1);
  } else if (text.ends_with("d")) {
    scale = 86400000;
    text.remove_suffix(1);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      !std::isfinite(value) || value < 0 || value * scale > kMaxDurationMs)
    return false;
  out = std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(std::llround(value * scale)));
  return true;
}

}  // namespace headway
