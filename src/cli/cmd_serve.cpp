#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "server/config.hpp"
#include "server/server.hpp"

namespace headway::cli {
namespace {

struct ServeOptions {
  // One string per row of the configuration table, filled by CLI11 from the
  // flag, else the environment variable, else the table's default.
  std::map<std::string, std::string, std::less<>> values;
  bool print_config_table = false;
};

int run_serve(const ServeOptions& options) {
  if (options.print_config_table) {
    std::cout << server::config_markdown_table();
    return 0;
  }
  server::ServerConfig config = server::default_config();
  for (const auto& [name, value] : options.values) {
    if (auto error = server::apply_option(config, name, value); !error.empty()) {
      std::cerr << "headway serve: " << error << "\n";
      return 2;
    }
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
  auto options = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve live progress (SSE, WebSocket, snapshots, health, metrics) over HTTP");
  for (const auto& option : server::config_options()) {
    auto& value = options->values[std::string(option.name)];
    value = option.default_value;
    const std::string help = std::string(option.help) + " (env " + std::string(option.env) + ")";
    // A switch is given alone (`--insecure-no-auth`); `--name=false` still works.
    auto* added = option.is_switch
                      ? cmd->add_flag("--" + std::string(option.name) + "{true}", value, help)
                      : cmd->add_option("--" + std::string(option.name), value, help);
    added->envname(std::string(option.env))->default_str(std::string(option.default_value));
  }
  cmd->add_flag("--print-config-table", options->print_config_table,
                "Print the configuration table (Markdown, as in docs/server.md) and exit");
  cmd->callback([options] { set_exit_code(run_serve(*options)); });
}

}  // namespace headway::cli
