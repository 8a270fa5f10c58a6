#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace headway::server {

using Duration = std::chrono::milliseconds;

// Everything `headway serve` can be told, with its defaults. A plain value
// type (not thread-safe to mutate; copied into the server at start).
struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  unsigned short listen_port = 8000;
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string database_url = "sqlite://headway.db";
  int threads = 0;  // 0: one per core
  Duration ping_interval{15000};
  Duration sse_retry{3000};
  Duration write_timeout{30000};
  Duration idle_timeout{60000};
  Duration fallback_interval{3000};
  Duration redis_retry_min{1000};
  Duration redis_retry_max{30000};
  Duration redis_command_timeout{2000};
  Duration drain_timeout{10000};
  std::size_t max_connections = 20000;
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 1 << 20;
  // Jobs and the web UI (docs/server.md).
  std::string worker_config;  // the workers' --commands file, so `command` jobs validate alike
  std::string web_root;       // empty: web/dist here, else ../share/headway/web by the binary
  bool access_log = false;
  std::string log_level = "info";
  bool recorder = true;
  std::string recorder_group = "headway-recorder";
  std::string recorder_consumer;  // empty: the host name
  // The liveness sweep (docs/worker.md): lost runs re-queued, silent external jobs failed.
  bool liveness_sweep = true;
  Duration lost_job_timeout{30000};
  Duration external_job_timeout{600000};
  // Authentication (docs/auth.md).
  bool insecure_no_auth = false;
  std::string init_admin;                 // create this admin at start if missing
  std::vector<std::string> cors_origins;  // exact origins, e.g. https://app.example.com
  Duration session_ttl{86400000};
  Duration stream_token_ttl{300000};
  std::string stream_token_key;  // empty: generated once and kept in the database
  Duration auth_cache_ttl{5000};
  int login_attempts = 5;  // failures per minute per user and per address
  bool trust_proxy = false;
  std::string metrics_token;  // empty: /metrics is open
};

// How the CLI offers an option (src/cli/settings.hpp).
enum class OptionKind {
  value,
  toggle,  // a switch: `--name` alone means true (`--name=false` turns it off)
  secret,  // masked by --print-config; can be read from a file (`--name-file`, `<ENV>_FILE`)
};

// One row of the configuration table: the single place that names an option,
// its environment variable, its default and its help. The CLI flags, the
// environment lookup, the configuration file's keys and the table in
// docs/server.md are all made from it.
struct ConfigOption {
  std::string_view name;  // the flag without "--"
  std::string_view env;   // environment variable
  std::string_view default_value;
  std::string_view help;
  // Parses `text` into the config; returns an error message, empty when fine.
  std::string (*apply)(ServerConfig& config, std::string_view text);
  OptionKind kind = OptionKind::value;
  // An earlier name of the environment variable, still read (with a note on stderr).
  std::string_view old_env = {};
};

const std::vector<ConfigOption>& config_options();

// A config holding every option's default from the table.
ServerConfig default_config();

// Applies `text` to the option called `name`; returns an error message or "".
std::string apply_option(ServerConfig& config, std::string_view name, std::string_view text);

// "15s", "500ms", "2m", "12h", "7d", "1.5" (seconds), at most 100 years
// (headway::parse_duration, core/duration.hpp). Returns false when invalid.
bool parse_duration(std::string_view text, Duration& out);

}  // namespace headway::server
