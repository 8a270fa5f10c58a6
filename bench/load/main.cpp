// headway_load: opens SSE streams against a running `headway serve`, publishes
// records into its Redis the way the Tracker does, and reports delivery,
// latency and the server's CPU and memory. See docs/benchmarks.md.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <iostream>

#include "proc_stats.hpp"
#include "report.hpp"
#include "scenario.hpp"

namespace {

// For run.sh: a loopback port that was free a moment ago.
int print_free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0});
  std::cout << acceptor.local_endpoint().port() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using headway::load::Options;
  CLI::App app("Load tool for headway serve: streams, publish rate, latency, server CPU and RSS");
  std::string scenario = "custom";
  Options given;
  bool free_port = false;
  app.add_option("--scenario", scenario, "preset: fanout, many-jobs, idle, burst-done, custom")
      ->check(CLI::IsMember(headway::load::scenario_names()));
  app.add_option("--port", given.port, "server port on 127.0.0.1");
  app.add_option("--redis", given.redis_url, "the server's Redis (loopback only)");
  app.add_option("--server-pid", given.server_pid, "server process, for CPU and RSS figures");
  app.add_option("--token", given.token, "Bearer token for the stream requests");
  // The scenario's values unless given; the preset fills the rest.
  auto* streams = app.add_option("--streams", given.streams, "number of SSE streams");
  auto* jobs = app.add_option("--jobs", given.jobs, "number of jobs (stream i watches job i % M)");
  auto* rate = app.add_option("--rate", given.rate, "updates per second per job");
  auto* duration = app.add_option("--duration", given.duration, "seconds of publishing");
  auto* hold =
      app.add_option("--hold", given.hold, "seconds to hold the streams before publishing");
  auto* drain = app.add_option("--drain", given.drain, "seconds to wait for late events");
  auto* deadline = app.add_option("--deadline", given.deadline, "hard limit on the run, seconds");
  auto* concurrency = app.add_option("--open-concurrency", given.open_concurrency,
                                     "connects in flight at most while opening");
  auto* read_interval =
      app.add_option("--read-interval-ms", given.read_interval_ms,
                     "read the streams in rounds at most this often (0: on every wake-up)");
  app.add_flag("--print-free-port", free_port, "print a free loopback port and exit");
  CLI11_PARSE(app, argc, argv);
  if (free_port)
    return print_free_port();

  Options options = *headway::load::preset(scenario);
  options.port = given.port;
  options.redis_url = given.redis_url;
  options.server_pid = given.server_pid;
  options.token = given.token;
  const auto take = [](CLI::Option* flag, auto& target, const auto& value) {
    if (flag->count() > 0)
      target = value;
  };
  take(streams, options.streams, given.streams);
  take(jobs, options.jobs, given.jobs);
  take(rate, options.rate, given.rate);
  take(duration, options.duration, given.duration);
  take(hold, options.hold, given.hold);
  take(drain, options.drain, given.drain);
  take(deadline, options.deadline, given.deadline);
  take(concurrency, options.open_concurrency, given.open_concurrency);
  take(read_interval, options.read_interval_ms, given.read_interval_ms);
  if (options.jobs == 0 || options.streams == 0) {
    std::cerr << "headway_load: --streams and --jobs must be positive\n";
    return 2;
  }

  const long nofile = headway::load::raise_nofile_limit();
  if (nofile >= 0 && static_cast<std::size_t>(nofile) < options.streams + 64)
    std::cerr << "headway_load: open-file limit " << nofile << " is below " << options.streams
              << " streams; some will fail\n";
  const auto report = headway::load::run_scenario(options);
  return headway::load::print_report(report, std::cout) ? 0 : 1;
}
