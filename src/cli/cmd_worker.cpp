#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <charconv>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/settings.hpp"
#include "jobs/command_config.hpp"
#include "server/config.hpp"
#include "store/job_store.hpp"
#include "store/store_url.hpp"
#include "worker/worker.hpp"

namespace headway::cli {
namespace {

struct WorkerFlags {
  std::string redis_url;
  std::string database_url;
  std::string commands_file;
  int concurrency = 1;
  std::chrono::milliseconds reclaim_idle{30000};
  int max_attempts = 2;
  std::chrono::milliseconds grace{30000};
  std::string name;
};

template <int WorkerFlags::*Member, int Min, int Max>
std::string set_int(WorkerFlags& flags, const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < Min || value > Max)
    return "expected an integer from " + std::to_string(Min) + " to " + std::to_string(Max) +
           ", got '" + text + "'";
  flags.*Member = value;
  return {};
}

// Durations as everywhere else (`30s`, `500ms`, `5m`; a bare number is seconds).
template <std::chrono::milliseconds WorkerFlags::*Member, std::int64_t MinMs, std::int64_t MaxMs>
std::string set_duration(WorkerFlags& flags, const std::string& text) {
  server::Duration value{};
  if (!server::parse_duration(text, value) || value.count() < MinMs || value.count() > MaxMs)
    return "expected a duration from " + std::to_string(MinMs) + "ms to " +
           std::to_string(MaxMs / 3600000) + "h such as 30s, got '" + text + "'";
  flags.*Member = value;
  return {};
}

template <std::string WorkerFlags::*Member>
std::string set_string(WorkerFlags& flags, const std::string& text) {
  flags.*Member = text;
  return {};
}

struct WorkerSetting {
  Setting setting;
  std::string (*apply)(WorkerFlags& flags, const std::string& text);
};

// The worker's configuration table: flags, environment, file keys and the
// table in docs/worker.md come from it.
const std::vector<WorkerSetting>& worker_settings() {
  using W = WorkerFlags;
  static const std::vector<WorkerSetting> table = {
      {{"redis", "HEADWAY_REDIS", "REDIS_URL", "redis://127.0.0.1:6379",
        "Redis URL: `redis://[[user]:password@]host[:port][/db]`, `rediss://...` (TLS), "
        "`redis+sentinel://host:port,.../master` or `unix:///path` (see docs/operations.md)",
        SettingKind::secret},
       set_string<&W::redis_url>},
      {{"db", "HEADWAY_DB", "DATABASE_URL", "",
        "the job table the server uses (required): `sqlite://path`, a file path, or "
        "`postgres://...`",
        SettingKind::secret},
       set_string<&W::database_url>},
      {{"commands", "HEADWAY_COMMANDS", "", "",
        "JSON file listing the programs `command` jobs may run (empty: none)"},
       set_string<&W::commands_file>},
      {{"concurrency", "HEADWAY_CONCURRENCY", "", "1",
        "jobs run at once, one thread each (1-1024)"},
       set_int<&W::concurrency, 1, 1024>},
      {{"reclaim-idle", "HEADWAY_RECLAIM_IDLE", "", "30s",
        "without a heartbeat for this long, a job is taken over by another worker"},
       set_duration<&W::reclaim_idle, 200, 86400000>},
      {{"max-attempts", "HEADWAY_MAX_ATTEMPTS", "", "2",
        "runs a job may start; a job whose worker was lost on the last one fails with "
        "\"worker lost\" (1-100)"},
       set_int<&W::max_attempts, 1, 100>},
      {{"grace", "HEADWAY_GRACE", "", "30s",
        "how long running jobs may take to finish after SIGTERM"},
       set_duration<&W::grace, 0, 86400000>},
      {{"name", "HEADWAY_NAME", "", "", "consumer name in the group (empty: host-pid-random)"},
       set_string<&W::name>},
  };
  return table;
}

std::vector<Setting> settings_of(const std::vector<WorkerSetting>& table) {
  std::vector<Setting> settings;
  for (const auto& row : table)
    settings.push_back(row.setting);
  return settings;
}

// Runs the worker on its own thread while this one waits for SIGTERM/SIGINT:
// the first stops taking work (running jobs get the grace period), a second
// ends the grace period at once.
int run_worker(const CommandSettings& settings) {
  WorkerFlags flags;
  const auto stop = settings.configure([&](const std::string& name, const std::string& value) {
    for (const auto& row : worker_settings()) {
      if (row.setting.name == name) {
        auto error = row.apply(flags, value);
        return error.empty() ? error : "--" + name + ": " + error;
      }
    }
    return "unknown setting --" + name;
  });
  if (stop)
    return *stop;
  spdlog::set_default_logger(spdlog::stderr_color_mt("worker"));
  worker::WorkerConfig config;
  if (!flags.commands_file.empty()) {
    auto loaded = worker::load_worker_config(flags.commands_file);
    if (!loaded) {
      std::cerr << "headway worker: " << loaded.error().message << "\n";
      return 2;
    }
    config = std::move(*loaded);
  }
  if (flags.database_url.empty()) {
    std::cerr << "headway worker: the job table is required: pass --db, set HEADWAY_DB or `db` in "
                 "--config\n";
    return 2;
  }
  auto store = store::open_job_store(flags.database_url);
  if (!store) {
    std::cerr << "headway worker: cannot open the job table at "
              << store::redact_url(flags.database_url) << ": " << store.error().message << "\n";
    return 1;
  }

  worker::WorkerOptions options;
  options.redis_url = flags.redis_url;
  options.concurrency = flags.concurrency;
  options.reclaim_idle = flags.reclaim_idle;
  options.max_attempts = flags.max_attempts;
  options.shutdown_grace = flags.grace;
  options.consumer = flags.name;

  // Blocked before any thread starts, so every thread inherits the mask and
  // only sigtimedwait below receives them. Job programs get default handling back.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  worker::Worker worker(options, **store, worker::JobCatalog(std::move(config)));
  std::atomic<bool> finished{false};
  worker::JobResult<void> result;
  std::thread runner([&] {
    result = worker.run();
    finished.store(true);
  });
  int signals_seen = 0;
  const timespec tick{0, 200'000'000};
  while (!finished.load()) {
    const int signo = sigtimedwait(&signals, nullptr, &tick);
    if (signo == SIGTERM || signo == SIGINT) {
      ++signals_seen;
      spdlog::info("received {}; {}", signo == SIGTERM ? "SIGTERM" : "SIGINT",
                   signals_seen == 1 ? "finishing running jobs" : "stopping running jobs now");
      worker.stop(signals_seen > 1);
    }
  }
  runner.join();
  if (!result) {
    std::cerr << "headway worker: " << result.error().message << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void register_worker(CLI::App& app) {
  auto settings = std::make_shared<CommandSettings>("worker", settings_of(worker_settings()));
  auto* command =
      app.add_subcommand("worker", "Run jobs from the Redis queue jobs:queue (see docs/worker.md)");
  settings->add_flags(*command);
  command->callback([settings] { set_exit_code(run_worker(*settings)); });
}

}  // namespace headway::cli
