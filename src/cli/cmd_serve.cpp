#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/settings.hpp"
#include "server/config.hpp"
#include "server/server.hpp"

namespace headway::cli {
namespace {

SettingKind kind_of(server::OptionKind kind) {
  switch (kind) {
    case server::OptionKind::toggle:
      return SettingKind::toggle;
    case server::OptionKind::secret:
      return SettingKind::secret;
    case server::OptionKind::value:
      break;
  }
  return SettingKind::value;
}

std::vector<Setting> serve_settings() {
  std::vector<Setting> settings;
  for (const auto& option : server::config_options()) {
    settings.push_back({std::string(option.name), std::string(option.env),
                        std::string(option.old_env), std::string(option.default_value),
                        std::string(option.help), kind_of(option.kind)});
  }
  return settings;
}

int run_serve(const CommandSettings& settings) {
  if (settings.print_config_table()) {
    std::cout << settings.markdown_table();
    return 0;
  }
  ResolvedSettings values;
  if (auto error = settings.resolve(values, std::cerr)) {
    std::cerr << "headway serve: " << *error << "\n";
    return 2;
  }
  server::ServerConfig config = server::default_config();
  for (const auto& option : server::config_options()) {
    const auto& resolved = values.at(std::string(option.name));
    if (auto error = server::apply_option(config, option.name, resolved.value); !error.empty()) {
      std::cerr << "headway serve: " << error << " (from " << resolved.source << ")\n";
      return 2;
    }
  }
  if (settings.print_config()) {
    std::cout << settings.effective_config(values);
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  server::Server server(std::move(config));
  if (auto error = server.start(); !error.empty()) {
    std::cerr << "headway serve: " << error << "\n";
    return 1;
  }
  server.handle_signals();
  return server.wait();
}

}  // namespace

void register_serve(CLI::App& app) {
  auto settings = std::make_shared<CommandSettings>("serve", serve_settings());
  auto* cmd = app.add_subcommand(
      "serve", "Serve live progress (SSE, WebSocket, snapshots, health, metrics) over HTTP");
  settings->add_flags(*cmd);
  cmd->callback([settings] { set_exit_code(run_serve(*settings)); });
}

}  // namespace headway::cli
