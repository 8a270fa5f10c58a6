#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <cmath>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "store/job_store.hpp"
#include "store/store_url.hpp"
#include "worker/command_config.hpp"
#include "worker/worker.hpp"

namespace headway::cli {
namespace {

struct WorkerFlags {
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string database_url;
  std::string config_file;
  int concurrency = 1;
  double reclaim_idle_s = 30;
  int max_attempts = 2;
  double grace_s = 30;
  std::string name;
};

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// Runs the worker on its own thread while this one waits for SIGTERM/SIGINT:
// the first stops taking work (running jobs get the grace period), a second
// ends the grace period at once.
int run_worker(const WorkerFlags& flags) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("worker"));
  worker::WorkerConfig config;
  if (!flags.config_file.empty()) {
    auto loaded = worker::load_worker_config(flags.config_file);
    if (!loaded) {
      std::cerr << "headway worker: " << loaded.error().message << "\n";
      return 2;
    }
    config = std::move(*loaded);
  }
  if (flags.database_url.empty()) {
    std::cerr << "headway worker: the job table is required: pass --db or set DATABASE_URL\n";
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
  options.reclaim_idle = to_ms(flags.reclaim_idle_s);
  options.max_attempts = flags.max_attempts;
  options.shutdown_grace = to_ms(flags.grace_s);
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
  auto flags = std::make_shared<WorkerFlags>();
  auto* command =
      app.add_subcommand("worker", "Run jobs from the Redis queue jobs:queue (see docs/worker.md)");
  command->add_option("--redis", flags->redis_url, "Redis URL")
      ->envname("REDIS_URL")
      ->capture_default_str();
  command
      ->add_option("--db", flags->database_url,
                   "Job table: sqlite:///path.db, a file path, or postgres://...")
      ->envname("DATABASE_URL");
  command->add_option("--config", flags->config_file,
                      "JSON file listing the programs `command` jobs may run");
  command->add_option("--concurrency", flags->concurrency, "Jobs run at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command
      ->add_option("--reclaim-idle", flags->reclaim_idle_s,
                   "Seconds without a heartbeat after which another worker takes a job over")
      ->check(CLI::Range(0.2, 86400.0))
      ->capture_default_str();
  command
      ->add_option("--max-attempts", flags->max_attempts,
                   "Runs a job may start; a job whose worker was lost on the last one fails "
                   "with \"worker lost\"")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command
      ->add_option("--grace", flags->grace_s,
                   "Seconds running jobs may take to finish after SIGTERM")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  command->add_option("--name", flags->name,
                      "Consumer name in the group (default: host-pid-random)");
  command->callback([flags] { set_exit_code(run_worker(*flags)); });
}

}  // namespace headway::cli
