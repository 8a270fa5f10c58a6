#include "cli/settings.hpp"

#include <sys/stat.h>

#include <toml++/toml.h>
#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "store/store_url.hpp"

namespace headway::cli {
namespace {

constexpr std::string_view kPasswordFile = "redis-password-file";

// Every command's file keys, so a top-level key meant for another command
// is not taken for a typo.
std::map<std::string, std::set<std::string, std::less<>>, std::less<>>& file_keys() {
  static std::map<std::string, std::set<std::string, std::less<>>, std::less<>> keys;
  return keys;
}

std::string file_key(const Setting& setting) {
  return setting.name + "-file";
}

std::string env_file(const Setting& setting) {
  return setting.env + "_FILE";
}

std::optional<std::string> getenv_nonempty(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0')
    return std::nullopt;
  return std::string(value);
}

// One layer's value of a setting: given directly, or (for a secret) read
// from the file another name points to; both at once is a mistake.
std::optional<std::string> layer_value(const Setting& setting,
                                       const std::optional<std::string>& direct,
                                       const std::optional<std::string>& file,
                                       const std::string& direct_name, const std::string& file_name,
                                       ResolvedSettings& out) {
  if (direct && file)
    return direct_name + " and " + file_name + " are both given; give one";
  if (direct) {
    out[setting.name] = {*direct, direct_name};
  } else if (file) {
    std::string error;
    auto secret = read_secret_file(*file, error);
    if (!secret)
      return file_name + ": " + error;
    out[setting.name] = {std::move(*secret), file_name + " (" + *file + ")"};
  }
  return std::nullopt;
}

// A TOML value as the text a flag would carry; nullopt for a value no
// setting takes (a table, a date).
std::optional<std::string> toml_text(const toml::node& node) {
  if (const auto* text = node.as_string())
    return text->get();
  if (const auto* integer = node.as_integer())
    return std::to_string(integer->get());
  if (const auto* number = node.as_floating_point()) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number->get());
    return ec == std::errc{} ? std::optional<std::string>(std::string(buffer, end)) : std::nullopt;
  }
  if (const auto* flag = node.as_boolean())
    return flag->get() ? "true" : "false";
  if (const auto* array = node.as_array()) {
    std::string joined;
    for (const auto& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr)
        return std::nullopt;
      joined += (joined.empty() ? "" : ",") + text->get();
    }
    return joined;
  }
  return std::nullopt;
}

std::string where(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool is_plain_scalar(std::string_view text) {
  if (text == "true" || text == "false")
    return true;
  long long number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

std::string masked(const Setting& setting, const std::string& value) {
  if (setting.kind != SettingKind::secret || value.empty())
    return value;
  if (value.find("://") != std::string::npos) {
    auto redacted = store::redact_url(value);
    if (redacted.find("password") == std::string::npos)
      return redacted;
  }
  return "********";
}

// A command file in the earlier `--config` format, JSON, rather than TOML.
bool looks_like_json(const std::string& path) {
  std::ifstream in(path);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return in && c == '{';
}

// The Redis URL with the password from a file (percent-encoded as needed).
std::optional<std::string> url_with_password(const std::string& url, const std::string& password,
                                             std::string& error) {
  if (url.starts_with("redis+sentinel://") || url.starts_with("rediss+sentinel://")) {
    // A list of Sentinels is no URL authority Boost.URL reads: set the
    // password with one placeholder host, then put the list back.
    const auto authority_begin = url.find("://") + 3;
    const auto authority_end = std::min(url.find_first_of("/?#", authority_begin), url.size());
    const auto at = url.rfind('@', authority_end);
    const auto hosts_begin =
        at == std::string::npos || at < authority_begin ? authority_begin : at + 1;
    const std::string hosts = url.substr(hosts_begin, authority_end - hosts_begin);
    const std::string placeholder = "redis://" +
                                    url.substr(authority_begin, hosts_begin - authority_begin) +
                                    "sentinel" + url.substr(authority_end);
    auto with = url_with_password(placeholder, password, error);
    if (!with)
      return std::nullopt;
    const auto host_at = with->find("@sentinel") + 1;
    return url.substr(0, authority_begin) + with->substr(8, host_at - 8) + hosts +
           with->substr(host_at + 8);
  }
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "the Redis URL is not a valid URL";
    return std::nullopt;
  }
  boost::urls::url with(*parsed);
  if (with.has_password()) {
    error = "the Redis URL has a password already";
    return std::nullopt;
  }
  with.set_password(password);
  return std::string(with.buffer());
}

}  // namespace

std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  if (secret.ends_with('\n'))
    secret.pop_back();
  if (secret.ends_with('\r'))
    secret.pop_back();
  return secret;
}

std::optional<std::string> getenv_renamed(const char* name, const char* old_name,
                                          std::ostream& notes) {
  if (auto value = getenv_nonempty(name))
    return value;
  if (auto value = getenv_nonempty(old_name)) {
    notes << "headway: " << old_name << " is deprecated; set " << name << " instead\n";
    return value;
  }
  return std::nullopt;
}

CommandSettings::CommandSettings(std::string command, std::vector<Setting> settings)
    : command_(std::move(command)) {
  for (auto& setting : settings) {
    const bool is_redis = setting.name == "redis";
    settings_.push_back(std::move(setting));
    if (is_redis) {
      settings_.push_back({std::string(kPasswordFile), "HEADWAY_REDIS_PASSWORD_FILE", "", "",
                           "file holding the Redis password, put into the `redis` URL "
                           "(which then has none)"});
    }
  }
  auto& keys = file_keys()[command_];
  for (const auto& setting : settings_) {
    keys.insert(setting.name);
    if (setting.kind == SettingKind::secret)
      keys.insert(file_key(setting));
  }
}

void CommandSettings::add_flags(CLI::App& app) {
  for (const auto& setting : settings_) {
    std::string help = setting.help + " (env " + setting.env + ")";
    auto& value = flag_values_[setting.name];
    if (setting.kind == SettingKind::toggle) {
      flags_[setting.name] = app.add_flag("--" + setting.name + "{true}", value, help);
    } else {
      flags_[setting.name] =
          app.add_option("--" + setting.name, value, help)->default_str(setting.default_value);
    }
    if (setting.kind == SettingKind::secret) {
      const auto name = file_key(setting);
      flags_[name] =
          app.add_option("--" + name, flag_values_[name],
                         "file holding --" + setting.name + " (env " + env_file(setting) + ")");
    }
  }
  app.add_option("--config", config_file_,
                 "configuration file (TOML, docs/operations.md); flags and the environment "
                 "override it")
      ->envname("HEADWAY_CONFIG");
  app.add_flag("--print-config", print_config_,
               "Print the effective configuration (TOML, secrets masked) and exit");
  app.add_flag("--print-config-table", print_config_table_,
               "Print the settings as the Markdown table of the docs and exit");
}

std::optional<std::string> CommandSettings::read_file_layer(const std::string& path,
                                                            ResolvedSettings& out,
                                                            std::ostream& notes) const {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return path + ":" + std::to_string(error.source().begin.line) + ": " +
           std::string(error.description());
  }
  const auto& mine = file_keys()[command_];
  bool holds_secret = false;
  auto apply = [&](const toml::table& table) -> std::optional<std::string> {
    for (const auto& setting : settings_) {
      const toml::node* direct = table.get(setting.name);
      const toml::node* file =
          setting.kind == SettingKind::secret ? table.get(file_key(setting)) : nullptr;
      auto text_of = [&](const toml::node* node, std::string& error) -> std::optional<std::string> {
        if (node == nullptr)
          return std::nullopt;
        auto text = toml_text(*node);
        if (!text)
          error = where(path, *node) + ": expected a string, a number, true or false";
        return text;
      };
      std::string error;
      const auto direct_text = text_of(direct, error);
      const auto file_text = text_of(file, error);
      if (!error.empty())
        return error;
      if (setting.kind == SettingKind::secret && direct_text &&
          masked(setting, *direct_text) != *direct_text)
        holds_secret = true;
      if (auto failed =
              layer_value(setting, direct_text, file_text, direct ? where(path, *direct) : "",
                          file ? where(path, *file) : "", out))
        return failed;
    }
    return std::nullopt;
  };
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    if (node.is_table()) {
      if (name != command_ && !file_keys().contains(name))
        return where(path, node) + ": unknown table [" + name + "]";
      continue;
    }
    bool known = false;
    for (const auto& [command, keys] : file_keys())
      known = known || keys.contains(name);
    if (!known)
      return where(path, node) + ": unknown key '" + name + "'";
  }
  if (auto error = apply(root))
    return error;
  if (const auto* table = root.get_as<toml::table>(command_)) {
    for (const auto& [key, node] : *table) {
      if (!mine.contains(key.str()))
        return where(path, node) + ": unknown key '" + std::string(key.str()) + "' in [" +
               command_ + "]";
    }
    if (auto error = apply(*table))
      return error;
  }
  struct stat info {};
  if (holds_secret && ::stat(path.c_str(), &info) == 0 && (info.st_mode & S_IROTH) != 0) {
    notes << "headway " << command_ << ": " << path
          << " holds a secret and is readable by every user\n";
  }
  return std::nullopt;
}

std::optional<std::string> CommandSettings::resolve(ResolvedSettings& out,
                                                    std::ostream& notes) const {
  out.clear();
  for (const auto& setting : settings_)
    out[setting.name] = {setting.default_value, "default"};

  std::optional<std::string> json_commands;
  if (!config_file_.empty()) {
    if (!std::ifstream(config_file_))
      return "--config: cannot read " + config_file_;
    if (looks_like_json(config_file_) && out.contains("commands")) {
      notes << "headway " << command_ << ": --config with a JSON command file is deprecated; "
            << "use --commands " << config_file_ << " (--config now reads the TOML "
            << "configuration file)\n";
      json_commands = config_file_;
    } else if (auto error = read_file_layer(config_file_, out, notes)) {
      return error;
    }
  }

  for (const auto& setting : settings_) {
    const bool secret = setting.kind == SettingKind::secret;
    auto direct = getenv_nonempty(setting.env);
    auto file = secret ? getenv_nonempty(env_file(setting)) : std::nullopt;
    if (!direct && !file && !setting.old_env.empty()) {
      direct = getenv_nonempty(setting.old_env);
      if (direct) {
        notes << "headway " << command_ << ": " << setting.old_env << " is deprecated; set "
              << setting.env << " instead\n";
        if (auto error = layer_value(setting, direct, std::nullopt, setting.old_env, "", out))
          return error;
        continue;
      }
    }
    if (auto error = layer_value(setting, direct, file, setting.env, env_file(setting), out))
      return error;
  }

  if (json_commands)
    out["commands"] = {*json_commands, "--config (deprecated)"};

  for (const auto& setting : settings_) {
    auto given = [&](const std::string& name) -> std::optional<std::string> {
      const auto flag = flags_.find(name);
      if (flag == flags_.end() || flag->second->count() == 0)
        return std::nullopt;
      return flag_values_.at(name);
    };
    const auto file = setting.kind == SettingKind::secret ? given(file_key(setting)) : std::nullopt;
    if (auto error = layer_value(setting, given(setting.name), file, "--" + setting.name,
                                 "--" + file_key(setting), out))
      return error;
  }

  const auto password_file = out.find(kPasswordFile);
  if (password_file != out.end() && !password_file->second.value.empty()) {
    std::string error;
    auto password = read_secret_file(password_file->second.value, error);
    auto& redis = out["redis"];
    std::optional<std::string> url;
    if (password)
      url = url_with_password(redis.value, *password, error);
    if (!url)
      return "--" + std::string(kPasswordFile) + " (" + password_file->second.source +
             "): " + error;
    redis.value = std::move(*url);
    redis.source += ", password from " + password_file->second.value;
  }
  return std::nullopt;
}

std::optional<int> CommandSettings::configure(
    const std::function<std::string(const std::string& name, const std::string& value)>& apply)
    const {
  if (print_config_table_) {
    std::cout << markdown_table();
    return 0;
  }
  ResolvedSettings values;
  if (auto error = resolve(values, std::cerr)) {
    std::cerr << "headway " << command_ << ": " << *error << "\n";
    return 2;
  }
  for (const auto& setting : settings_) {
    if (setting.name == kPasswordFile)
      continue;
    const auto& resolved = values.at(setting.name);
    if (auto error = apply(setting.name, resolved.value); !error.empty()) {
      std::cerr << "headway " << command_ << ": " << error << " (from " << resolved.source << ")\n";
      return 2;
    }
  }
  if (print_config_) {
    std::cout << effective_config(values);
    return 0;
  }
  return std::nullopt;
}

std::string CommandSettings::effective_config(const ResolvedSettings& values) const {
  std::string out = "# headway " + command_ +
                    ": the effective configuration (secrets masked), each value with its "
                    "source\n[" +
                    command_ + "]\n";
  for (const auto& setting : settings_) {
    const auto& resolved = values.at(setting.name);
    const auto shown = masked(setting, resolved.value);
    std::string line = setting.name + " = ";
    line +=
        setting.kind != SettingKind::secret && is_plain_scalar(shown) ? shown : toml_quote(shown);
    out += line + "  # " + resolved.source + "\n";
  }
  return out;
}

std::string CommandSettings::markdown_table() const {
  std::string out = "| flag and key | environment | default | meaning |\n|---|---|---|---|\n";
  for (const auto& setting : settings_) {
    const bool secret = setting.kind == SettingKind::secret;
    out += "| `--" + setting.name + "`";
    if (secret)
      out += ", `--" + file_key(setting) + "`";
    out += " | `" + setting.env + "`";
    if (secret)
      out += ", `" + env_file(setting) + "`";
    out += " | ";
    out +=
        setting.default_value.empty() ? std::string("(empty)") : "`" + setting.default_value + "`";
    out += " | " + setting.help;
    if (secret)
      out += "; secret: masked by `--print-config`, or read from the `-file`/`_FILE` file";
    if (!setting.old_env.empty())
      out += "; `" + setting.old_env + "` is still read (deprecated)";
    out += " |\n";
  }
  return out;
}

}  // namespace headway::cli
