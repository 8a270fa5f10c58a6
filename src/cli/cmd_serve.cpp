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
  server::ServerConfig config = server::default_config();
  const auto stop = settings.configure([&](const std::string& name, const std::string& value) {
    return server::apply_option(config, name, value);
  });
  if (stop)
    return *stop;
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
