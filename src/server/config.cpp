#include "server/config.hpp"

#include <charconv>

#include "core/duration.hpp"

namespace headway::server {
namespace {

template <typename Int>
bool parse_int(std::string_view text, Int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string set_listen(ServerConfig& c, std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "expected HOST:PORT, got '" + std::string(text) + "'";
  unsigned short port = 0;
  if (!parse_int(text.substr(colon + 1), port))
    return "invalid port in '" + std::string(text) + "'";
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  c.listen_host = host;
  c.listen_port = port;
  return {};
}

template <Duration ServerConfig::*Member>
std::string set_duration(ServerConfig& c, std::string_view text) {
  if (!parse_duration(text, c.*Member) || (c.*Member).count() <= 0)
    return "expected a positive duration such as 15s or 500ms, got '" + std::string(text) + "'";
  return {};
}

template <std::size_t ServerConfig::*Member>
std::string set_size(ServerConfig& c, std::string_view text) {
  if (!parse_int(text, c.*Member) || c.*Member == 0)
    return "expected a positive integer, got '" + std::string(text) + "'";
  return {};
}

template <std::string ServerConfig::*Member>
std::string set_string(ServerConfig& c, std::string_view text) {
  c.*Member = text;
  return {};
}

template <bool ServerConfig::*Member>
std::string set_bool(ServerConfig& c, std::string_view text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") {
    c.*Member = true;
  } else if (text == "0" || text == "false" || text == "no" || text == "off") {
    c.*Member = false;
  } else {
    return "expected true or false, got '" + std::string(text) + "'";
  }
  return {};
}

std::string set_threads(ServerConfig& c, std::string_view text) {
  if (!parse_int(text, c.threads) || c.threads < 0)
    return "expected a number of threads (0: one per core), got '" + std::string(text) + "'";
  return {};
}

std::string set_log_level(ServerConfig& c, std::string_view text) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (text == level) {
      c.log_level = text;
      return {};
    }
  }
  return "expected trace, debug, info, warn, error, critical or off";
}

std::string set_origins(ServerConfig& c, std::string_view text) {
  c.cors_origins.clear();
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto origin = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!origin.empty() && origin.front() == ' ')
      origin.remove_prefix(1);
    while (!origin.empty() && (origin.back() == ' ' || origin.back() == '/'))
      origin.remove_suffix(1);
    if (origin.empty())
      continue;
    if (!origin.starts_with("http://") && !origin.starts_with("https://"))
      return "an origin is scheme://host[:port], got '" + std::string(origin) + "'";
    c.cors_origins.emplace_back(origin);
  }
  return {};
}

std::string set_login_attempts(ServerConfig& c, std::string_view text) {
  if (!parse_int(text, c.login_attempts) || c.login_attempts <= 0)
    return "expected a positive number of attempts, got '" + std::string(text) + "'";
  return {};
}

std::string set_stream_token_key(ServerConfig& c, std::string_view text) {
  if (!text.empty() && text.size() < 32)
    return "a stream-token key needs at least 32 characters";
  c.stream_token_key = text;
  return {};
}

}  // namespace

bool parse_duration(std::string_view text, Duration& out) {
  return headway::parse_duration(text, out);
}

const std::vector<ConfigOption>& config_options() {
  using C = ServerConfig;
  static const std::vector<ConfigOption> options = {
      {"listen", "HEADWAY_LISTEN", "127.0.0.1:8000", "address and port to serve HTTP on",
       set_listen},
      {"redis", "HEADWAY_REDIS", "redis://127.0.0.1:6379",
       "Redis URL: `redis://[[user]:password@]host[:port][/db]`, `rediss://...` (TLS), "
       "`redis+sentinel://host:port,.../master` or `unix:///path` (see docs/operations.md)",
       set_string<&C::redis_url>, OptionKind::secret, "REDIS_URL"},
      {"db", "HEADWAY_DB", "sqlite://headway.db",
       "job table: `sqlite://path`, a file path, or `postgres://...`", set_string<&C::database_url>,
       OptionKind::secret, "DATABASE_URL"},
      {"threads", "HEADWAY_THREADS", "0", "I/O threads (0: one per core)", set_threads},
      {"ping-interval", "HEADWAY_PING_INTERVAL", "15s",
       "keep-alive comment (SSE) or ping frame (WebSocket) interval on idle streams",
       set_duration<&C::ping_interval>},
      {"sse-retry", "HEADWAY_SSE_RETRY", "3s",
       "reconnect delay suggested to SSE clients (`retry:`)", set_duration<&C::sse_retry>},
      {"write-timeout", "HEADWAY_WRITE_TIMEOUT", "30s",
       "a stream whose client accepts no data for this long is dropped",
       set_duration<&C::write_timeout>},
      {"idle-timeout", "HEADWAY_IDLE_TIMEOUT", "60s",
       "a non-stream connection with no request for this long is closed",
       set_duration<&C::idle_timeout>},
      {"fallback-interval", "HEADWAY_FALLBACK_INTERVAL", "3s",
       "job-table poll interval for a watched job while Redis is down or its key is missing",
       set_duration<&C::fallback_interval>},
      {"redis-retry-min", "HEADWAY_REDIS_RETRY_MIN", "1s", "first Redis reconnect delay",
       set_duration<&C::redis_retry_min>},
      {"redis-retry-max", "HEADWAY_REDIS_RETRY_MAX", "30s",
       "Redis reconnect delay cap (the delay doubles up to it)", set_duration<&C::redis_retry_max>},
      {"redis-timeout", "HEADWAY_REDIS_TIMEOUT", "2s",
       "a Redis command unanswered for this long breaks the connection",
       set_duration<&C::redis_command_timeout>},
      {"drain-timeout", "HEADWAY_DRAIN_TIMEOUT", "10s",
       "on SIGTERM/SIGINT, how long to wait for connections to close before exiting",
       set_duration<&C::drain_timeout>},
      {"max-connections", "HEADWAY_MAX_CONNECTIONS", "20000",
       "open connections beyond this are answered 503", set_size<&C::max_connections>},
      {"max-header-bytes", "HEADWAY_MAX_HEADER_BYTES", "8192",
       "larger request headers are answered 431", set_size<&C::max_header_bytes>},
      {"max-body-bytes", "HEADWAY_MAX_BODY_BYTES", "1048576",
       "larger request bodies are answered 413", set_size<&C::max_body_bytes>},
      {"commands", "HEADWAY_COMMANDS", "",
       "the workers' command file (JSON, `headway worker --commands`), so `command` jobs are "
       "validated here as the workers will run them; empty: no `command` jobs",
       set_string<&C::worker_config>, OptionKind::value, "HEADWAY_WORKER_CONFIG"},
      {"web-root", "HEADWAY_WEB_ROOT", "",
       "directory of the built web UI (empty: `web/dist` under the working directory, else "
       "`../share/headway/web` next to the binary)",
       set_string<&C::web_root>},
      {"access-log", "HEADWAY_ACCESS_LOG", "false",
       "log one line per request (`?token=` values shown as REDACTED)", set_bool<&C::access_log>},
      {"log-level", "HEADWAY_LOG_LEVEL", "info", "trace, debug, info, warn, error, critical, off",
       set_log_level},
      {"recorder", "HEADWAY_RECORDER", "true",
       "fold `progress:events` into the job table in this process", set_bool<&C::recorder>},
      {"recorder-group", "HEADWAY_RECORDER_GROUP", "headway-recorder",
       "consumer group the recorder reads `progress:events` with", set_string<&C::recorder_group>},
      {"recorder-consumer", "HEADWAY_RECORDER_CONSUMER", "",
       "consumer name within the group (empty: the host name); keep it stable across restarts",
       set_string<&C::recorder_consumer>},
      {"liveness-sweep", "HEADWAY_LIVENESS_SWEEP", "true",
       "look for unfinished jobs that nothing runs any more and re-queue or end them "
       "(one server at a time sweeps; see docs/worker.md)",
       set_bool<&C::liveness_sweep>},
      {"lost-job-timeout", "HEADWAY_LOST_JOB_TIMEOUT", "30s",
       "a queued or running worker job with no lease, no live queue entry and no new record for "
       "this long is queued again (about the workers' `--reclaim-idle`)",
       set_duration<&C::lost_job_timeout>},
      {"external-job-timeout", "HEADWAY_EXTERNAL_JOB_TIMEOUT", "10m",
       "an `external` job whose program writes no record for this long ends `failed`",
       set_duration<&C::external_job_timeout>},
      {"insecure-no-auth", "HEADWAY_INSECURE_NO_AUTH", "false",
       "turn authentication off (local development only; announced loudly)",
       set_bool<&C::insecure_no_auth>, OptionKind::toggle},
      {"init-admin", "HEADWAY_INIT_ADMIN", "",
       "create this admin at start if missing, printing a generated password once",
       set_string<&C::init_admin>},
      {"cors-origins", "HEADWAY_CORS_ORIGINS", "",
       "comma-separated origins allowed to call the API from a browser (none by default)",
       set_origins},
      {"session-ttl", "HEADWAY_SESSION_TTL", "24h", "lifetime of a browser session",
       set_duration<&C::session_ttl>},
      {"stream-token-ttl", "HEADWAY_STREAM_TOKEN_TTL", "5m", "lifetime of a stream token",
       set_duration<&C::stream_token_ttl>},
      {"stream-token-key", "HEADWAY_STREAM_TOKEN_KEY", "",
       "HMAC key for stream tokens, 32+ characters (empty: generated once, kept in the database)",
       set_stream_token_key, OptionKind::secret},
      {"auth-cache-ttl", "HEADWAY_AUTH_CACHE_TTL", "5s",
       "how long a token or session lookup is reused (revocations elsewhere take this long)",
       set_duration<&C::auth_cache_ttl>},
      {"login-attempts", "HEADWAY_LOGIN_ATTEMPTS", "5",
       "failed logins per minute per user and per client address before 429", set_login_attempts},
      {"trust-proxy", "HEADWAY_TRUST_PROXY", "false",
       "believe `X-Forwarded-For` and `X-Forwarded-Proto` (only behind a reverse proxy)",
       set_bool<&C::trust_proxy>, OptionKind::toggle},
      {"metrics-token", "HEADWAY_METRICS_TOKEN", "",
       "when set, `/metrics` wants `Authorization: Bearer` with this token",
       set_string<&C::metrics_token>, OptionKind::secret},
  };
  return options;
}

ServerConfig default_config() {
  ServerConfig config;
  for (const auto& option : config_options())
    option.apply(config, option.default_value);
  return config;
}

std::string apply_option(ServerConfig& config, std::string_view name, std::string_view text) {
  for (const auto& option : config_options()) {
    if (option.name == name) {
      auto error = option.apply(config, text);
      return error.empty() ? error : "--" + std::string(name) + ": " + error;
    }
  }
  return "unknown option --" + std::string(name);
}

}  // namespace headway::server
