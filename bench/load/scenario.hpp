#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stream_pool.hpp"

namespace headway::load {

// The figures a scenario must reach (docs/benchmarks.md, "Stream server"); unset ones
// are not checked.
struct Targets {
  bool every_event = false;
  std::optional<double> p99_ms;
  std::optional<double> cpu_per_1k_events;
  std::optional<double> rss_kib_per_stream;
  bool every_done = false;
};

struct Options {
  std::string scenario = "custom";
  std::uint16_t port = 8000;  // the server, always on 127.0.0.1
  std::string redis_url = "redis://127.0.0.1:6379";
  pid_t server_pid = 0;  // 0: no CPU or RSS figures
  std::string token;
  std::size_t streams = 100;
  std::size_t jobs = 1;
  double rate = 1;          // updates per second per job
  double duration = 10;     // seconds of publishing
  double hold = 0;          // seconds to hold the streams open before publishing
  bool burst_done = false;  // instead of a rate: every job completes at once
  double drain = 5;         // seconds to wait for the last events after publishing
  double deadline = 300;    // hard limit on the whole run, seconds
  std::size_t open_concurrency = 200;
  double read_interval_ms = 1;  // the streams are read in rounds at most this often
  Targets targets;
};

// The named scenarios: fanout, many-jobs, idle, burst-done (and custom).
// Returns nullopt for an unknown name.
std::optional<Options> preset(std::string_view scenario);
std::vector<std::string> scenario_names();

struct Report {
  Options options;
  StreamResults streams;
  std::uint64_t published = 0;  // records written during the publish phase
  std::uint64_t expected = 0;   // progress events the streams should receive
  double open_seconds = 0;
  double publish_seconds = 0;
  double max_publish_lag_ms = 0;              // how far the publisher fell behind its schedule
  std::int64_t burst_sent_ns = 0;             // EXEC of the burst (burst-done)
  std::optional<double> server_cpu_open;      // CPU seconds while the streams opened
  std::optional<double> server_cpu_measured;  // CPU seconds while publishing and draining
  std::optional<long> rss_before_kib;         // before the first stream
  std::optional<long> rss_open_kib;           // every stream open (after the hold)
  std::optional<long> rss_after_kib;          // after publishing
  std::optional<long> rss_closed_kib;         // a second after we closed every stream
  double tool_cpu = 0;
  std::string error;  // why the run stopped short, empty if it did not
};

// Runs one scenario against a running server and Redis. Every phase is
// bounded by its own timeout and by options.deadline.
Report run_scenario(const Options& options);

}  // namespace headway::load
