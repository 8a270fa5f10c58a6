#include "scenario.hpp"

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "clock.hpp"
#include "core/uuid.hpp"
#include "proc_stats.hpp"
#include "publisher.hpp"

namespace headway::load {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration<double>(s));
}

// Polls `done` every 10 ms until it holds or `limit` passes; true if it held.
bool wait_for(const std::function<bool()>& done, Clock::time_point limit) {
  while (!done()) {
    if (Clock::now() >= limit)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void sleep_bounded(double s, Clock::time_point limit) {
  std::this_thread::sleep_until(std::min(Clock::now() + seconds(s), limit));
}

// Writes `rate` updates per second to every job for `duration`, spread evenly
// (job i % M at start + i / (M * rate)), so the server sees a steady stream
// rather than bursts once a second.
void publish_at_rate(Publisher& publisher, const std::vector<std::string>& jobs,
                     const Options& options, Clock::time_point limit, Report& report) {
  const double total_rate = options.rate * static_cast<double>(jobs.size());
  const auto writes = static_cast<std::uint64_t>(std::floor(options.duration * total_rate));
  std::vector<std::int64_t> seq(jobs.size(), 1);
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < writes; ++i) {
    const auto due = start + seconds(static_cast<double>(i) / total_rate);
    if (due >= limit) {
      report.error = "hard deadline reached while publishing";
      break;
    }
    std::this_thread::sleep_until(due);
    report.max_publish_lag_ms = std::max(report.max_publish_lag_ms,
                                         duration<double, std::milli>(Clock::now() - due).count());
    const std::size_t job = i % jobs.size();
    if (auto error = publisher.write(jobs[job], ++seq[job], JobStatus::running, true);
        !error.empty()) {
      report.error = error;
      break;
    }
    ++report.published;
  }
  report.publish_seconds = duration<double>(Clock::now() - start).count();
}

// The server's CPU seconds so far, negative when unknown. (A plain double:
// GCC 12 warns falsely about std::optional<double> copied through here.)
double cpu_mark(pid_t pid) {
  const auto seconds = pid > 0 ? cpu_seconds(pid) : std::nullopt;
  return seconds ? *seconds : -1;
}

std::optional<double> cpu_since(double mark, pid_t pid) {
  const double now = cpu_mark(pid);
  if (mark < 0 || now < 0)
    return std::nullopt;
  return now - mark;
}

}  // namespace

std::vector<std::string> scenario_names() {
  return {"fanout", "many-jobs", "idle", "burst-done", "custom"};
}

std::optional<Options> preset(std::string_view scenario) {
  Options o;
  o.scenario = std::string(scenario);
  if (scenario == "fanout") {
    o.streams = 1000;
    o.jobs = 1;
    o.rate = 10;
    o.duration = 20;
    o.targets.every_event = true;
    o.targets.p99_ms = 5;
    o.targets.cpu_per_1k_events = 0.010;
  } else if (scenario == "many-jobs") {
    o.streams = 1000;
    o.jobs = 1000;
    o.rate = 1;
    o.duration = 30;
    o.targets.every_event = true;
    o.targets.p99_ms = 1;
  } else if (scenario == "idle") {
    // One job per stream: every stream also costs the server a subscription
    // and a topic, the most expensive way to be idle.
    o.streams = 10000;
    o.jobs = 10000;
    o.rate = 0;
    o.duration = 0;
    o.hold = 10;
    o.open_concurrency = 500;
    o.targets.rss_kib_per_stream = 8;
  } else if (scenario == "burst-done") {
    o.streams = 500;
    o.jobs = 500;
    o.burst_done = true;
    o.targets.every_done = true;
  } else if (scenario != "custom") {
    return std::nullopt;
  }
  return o;
}

Report run_scenario(const Options& options) {
  Report report;
  report.options = options;
  const auto run_start = Clock::now();
  const auto limit = run_start + seconds(options.deadline);
  const pid_t pid = options.server_pid;
  const double tool_cpu_start = own_cpu_seconds();

  auto publisher = Publisher::open(options.redis_url, report.error);
  if (!publisher)
    return report;
  // Every job starts with a record (seq 1, no stamp): the server then knows
  // the job, and each stream's first progress event (the snapshot) tells us
  // its subscription is live.
  std::vector<std::string> jobs;
  for (std::size_t i = 0; i < options.jobs; ++i) {
    jobs.push_back(make_uuid());
    if (auto error = publisher->write(jobs.back(), 1, JobStatus::running, false); !error.empty()) {
      report.error = error;
      return report;
    }
  }

  report.rss_before_kib = pid > 0 ? rss_kib(pid) : std::nullopt;
  double cpu_start = cpu_mark(pid);
  StreamPool pool({options.port, jobs, options.streams, options.token, options.open_concurrency,
                   std::chrono::microseconds(std::lround(options.read_interval_ms * 1000))});
  pool.start();
  const auto open_start = Clock::now();
  if (!wait_for([&] { return pool.settled() >= options.streams; },
                std::min(limit, open_start + std::chrono::seconds(120))))
    report.error = "not every stream answered within 120 s";
  // The snapshot follows the subscription's acknowledgement.
  wait_for([&] { return pool.ready() >= pool.opened(); },
           std::min(limit, Clock::now() + std::chrono::seconds(30)));
  report.open_seconds = duration<double>(Clock::now() - open_start).count();
  if (options.hold > 0)
    sleep_bounded(options.hold, limit);
  report.server_cpu_open = cpu_since(cpu_start, pid);
  report.rss_open_kib = pid > 0 ? rss_kib(pid) : std::nullopt;

  cpu_start = cpu_mark(pid);
  const auto drain_limit = [&] { return std::min(limit, Clock::now() + seconds(options.drain)); };
  if (options.burst_done) {
    if (auto error = publisher->complete_all(jobs, 2, report.burst_sent_ns); !error.empty())
      report.error = error;
    else
      report.published = jobs.size();
    report.expected = options.streams;
    wait_for([&] { return pool.done() >= options.streams; }, drain_limit());
  } else if (options.rate > 0 && options.duration > 0 && report.error.empty()) {
    publish_at_rate(*publisher, jobs, options, limit, report);
    // Job j has streams / jobs watchers (stream i watches job i % M).
    const auto writes = report.published;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const std::uint64_t writes_j = writes / jobs.size() + (j < writes % jobs.size() ? 1 : 0);
      const std::uint64_t watchers =
          options.streams / jobs.size() + (j < options.streams % jobs.size() ? 1 : 0);
      report.expected += writes_j * watchers;
    }
    wait_for([&] { return pool.delivered() >= report.expected; }, drain_limit());
  }
  report.server_cpu_measured = cpu_since(cpu_start, pid);
  report.rss_after_kib = pid > 0 ? rss_kib(pid) : std::nullopt;

  pool.close_all();
  sleep_bounded(1, limit);
  report.rss_closed_kib = pid > 0 ? rss_kib(pid) : std::nullopt;
  pool.stop();
  report.streams = pool.results();
  report.tool_cpu = own_cpu_seconds() - tool_cpu_start;
  return report;
}

}  // namespace headway::load
