// `headway serve`'s configuration: every option of the table, set from text
// as flags and environment variables set it. The input is lines of
// NAME=VALUE applied in order. Whatever is accepted leaves a config the
// server can run with: durations positive and small enough for timer
// arithmetic, sizes and counts positive, a known log level, origins with a
// scheme; a refused value always comes with a message naming the option.
#include <chrono>
#include <limits>
#include <string>

#include "fuzz_check.hpp"
#include "server/config.hpp"

namespace {

using headway::server::Duration;
using headway::server::ServerConfig;

// A timer adds a duration to steady_clock::now() in the clock's own unit.
bool fits_a_timer(Duration duration) {
  using Tick = std::chrono::steady_clock::duration;
  constexpr auto max_ms = std::chrono::duration_cast<Duration>(Tick::max()).count() / 2;
  return duration.count() > 0 && duration.count() <= max_ms;
}

void check_config(const ServerConfig& c) {
  for (Duration d :
       {c.ping_interval, c.sse_retry, c.write_timeout, c.idle_timeout, c.fallback_interval,
        c.redis_retry_min, c.redis_retry_max, c.redis_command_timeout, c.drain_timeout,
        c.session_ttl, c.stream_token_ttl, c.auth_cache_ttl}) {
    FUZZ_CHECK(fits_a_timer(d));
  }
  FUZZ_CHECK(c.max_connections > 0 && c.max_header_bytes > 0 && c.max_body_bytes > 0);
  FUZZ_CHECK(c.threads >= 0);
  FUZZ_CHECK(c.login_attempts > 0);
  FUZZ_CHECK(!c.listen_host.empty());
  for (const auto& origin : c.cors_origins)
    FUZZ_CHECK(origin.starts_with("http://") || origin.starts_with("https://"));
  FUZZ_CHECK(c.stream_token_key.empty() || c.stream_token_key.size() >= 32);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view input = headway::fuzz::as_text(data, size);
  ServerConfig config = headway::server::default_config();
  check_config(config);
  while (!input.empty()) {
    const auto newline = input.find('\n');
    const auto line = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
    const auto equals = line.find('=');
    if (equals == std::string_view::npos)
      continue;
    const auto name = line.substr(0, equals);
    const auto value = line.substr(equals + 1);

    ServerConfig changed = config;
    const std::string error = headway::server::apply_option(changed, name, value);
    if (!error.empty()) {
      FUZZ_CHECK(error.find(std::string(name)) != std::string::npos);
      continue;
    }
    check_config(changed);
    config = std::move(changed);

    Duration parsed{};
    if (headway::server::parse_duration(value, parsed)) {
      Duration again{};
      FUZZ_CHECK(headway::server::parse_duration(std::to_string(parsed.count()) + "ms", again));
      FUZZ_CHECK(again == parsed);
    }
  }
  return 0;
}
