#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

// The settings of the long-running subcommands (`serve`, `worker`): each one
// is a flag, an environment variable and a key of the configuration file
// (TOML, docs/operations.md), named alike: `--lost-job-timeout`,
// `HEADWAY_LOST_JOB_TIMEOUT`, `lost-job-timeout`. A value comes from, first
// to last: the flag, the environment, the file's table of the command
// (`[serve]`, `[worker]`), the file's top level, the default.
namespace headway::cli {

enum class SettingKind {
  value,
  toggle,  // `--name` alone means true
  secret,  // masked by --print-config; also `--name-file`, `<ENV>_FILE`, `name-file`
};

struct Setting {
  std::string name;     // the flag without "--", and the key in the file
  std::string env;      // HEADWAY_...
  std::string old_env;  // an earlier variable, still read with a note on stderr
  std::string default_value;
  std::string help;
  SettingKind kind = SettingKind::value;
};

struct ResolvedSetting {
  std::string value;
  std::string source;  // "default", "--name", "HEADWAY_NAME", "/etc/headway/headway.toml", ...
};

using ResolvedSettings = std::map<std::string, ResolvedSetting, std::less<>>;

// Reads a secret from a file: its whole text less one trailing newline.
// Returns nullopt and says why in `error`.
std::optional<std::string> read_secret_file(const std::string& path, std::string& error);

// `name`, else `old_name` with a deprecation note on `notes`; nullopt when
// neither is set (or set empty).
std::optional<std::string> getenv_renamed(const char* name, const char* old_name,
                                          std::ostream& notes);

// The settings of one subcommand, bound to its CLI11 flags. Not thread-safe;
// lives as long as the command's registration.
class CommandSettings {
 public:
  // `command` names the subcommand and its table in the file. A command
  // that has `redis` also gets `redis-password-file`; `commands` also reads
  // a JSON command file given as `--config` (the earlier meaning, deprecated).
  CommandSettings(std::string command, std::vector<Setting> settings);

  // Adds every setting's flag, the secrets' `--NAME-file`, `--config FILE`
  // (or HEADWAY_CONFIG), `--print-config` and `--print-config-table`.
  void add_flags(CLI::App& app);

  // After parsing: every setting's value and where it came from, or an
  // error message. Deprecated names are noted on `notes`.
  std::optional<std::string> resolve(ResolvedSettings& out, std::ostream& notes) const;

  // What a command does first: prints the table (--print-config-table), or
  // resolves the settings and hands each value to `apply` (which returns an
  // error message, empty when fine; `redis-password-file` is consumed here),
  // then prints the configuration (--print-config). Returns the exit status
  // when the command should stop there (0 after printing, 2 on a mistake,
  // said on stderr), nullopt when it should go on.
  std::optional<int> configure(
      const std::function<std::string(const std::string& name, const std::string& value)>& apply)
      const;

  // The effective configuration as a TOML file for this command, each value
  // with its source, secrets masked.
  std::string effective_config(const ResolvedSettings& values) const;
  // The settings as the Markdown table in the docs.
  std::string markdown_table() const;

  bool print_config() const { return print_config_; }
  bool print_config_table() const { return print_config_table_; }
  const std::vector<Setting>& settings() const { return settings_; }

 private:
  std::optional<std::string> read_file_layer(const std::string& path, ResolvedSettings& out,
                                             std::ostream& notes) const;

  std::string command_;
  std::vector<Setting> settings_;
  std::map<std::string, std::string, std::less<>> flag_values_;  // by flag name, "redis-file" too
  std::map<std::string, CLI::Option*, std::less<>> flags_;
  std::string config_file_;
  bool print_config_ = false;
  bool print_config_table_ = false;
};

}  // namespace headway::cli
