#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace headway::load {
namespace {

// Nearest-rank percentile of sorted values, in milliseconds.
double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty())
    return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]) / 1e6;
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string kib(const std::optional<long>& value) {
  return value ? std::to_string(*value) + " KiB" : "n/a";
}

struct Latency {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  std::size_t count = 0;
};

Latency summarize(std::vector<std::int64_t> values) {
  std::sort(values.begin(), values.end());
  return {percentile_ms(values, 0.50), percentile_ms(values, 0.90), percentile_ms(values, 0.99),
          percentile_ms(values, 1.0), values.size()};
}

// "met", or "MISSED: " and every target missed, by how much.
std::string check_targets(const Report& report, double latency_p99,
                          const std::optional<double>& cpu_per_1k,
                          const std::optional<double>& rss_per_stream) {
  const StreamResults& s = report.streams;
  std::vector<std::string> misses;
  const Targets& t = report.options.targets;
  if (s.failed > 0)
    misses.push_back(std::to_string(s.failed) + " streams failed");
  if (t.every_event && s.delivered < report.expected)
    misses.push_back(std::to_string(report.expected - s.delivered) + " events missing");
  if (t.every_event && s.out_of_order > 0)
    misses.push_back("out-of-order events");
  if (t.p99_ms && latency_p99 > *t.p99_ms)
    misses.push_back("p99 " + fixed(latency_p99, 2) + " > " + fixed(*t.p99_ms, 2) + " ms");
  if (t.cpu_per_1k_events && (!cpu_per_1k || *cpu_per_1k > *t.cpu_per_1k_events))
    misses.push_back("CPU " + (cpu_per_1k ? fixed(*cpu_per_1k, 4) : std::string("n/a")) + " > " +
                     fixed(*t.cpu_per_1k_events, 3) + " s/1k");
  if (t.rss_kib_per_stream && (!rss_per_stream || *rss_per_stream > *t.rss_kib_per_stream))
    misses.push_back("RSS " + (rss_per_stream ? fixed(*rss_per_stream, 2) : std::string("n/a")) +
                     " > " + fixed(*t.rss_kib_per_stream, 1) + " KiB/stream");
  if (t.every_done && s.done < report.expected)
    misses.push_back(std::to_string(report.expected - s.done) + " done events missing");
  if (!report.error.empty())
    misses.push_back("error");
  std::string verdict = misses.empty() ? "met" : "MISSED: ";
  for (std::size_t i = 0; i < misses.size(); ++i)
    verdict += (i ? "; " : "") + misses[i];
  return verdict;
}

}  // namespace

bool print_report(const Report& report, std::ostream& out) {
  const Options& o = report.options;
  const StreamResults& s = report.streams;
  const bool burst = o.burst_done;
  // Burst latency is measured from EXEC: the records were stamped while
  // MULTI was still being queued.
  std::vector<std::int64_t> burst_latency;
  for (auto at : s.done_at_ns)
    burst_latency.push_back(at - report.burst_sent_ns);
  const Latency latency = summarize(burst ? burst_latency : s.latency_ns);

  std::optional<double> cpu_per_1k;
  const std::uint64_t events = burst ? s.done : s.delivered;
  if (report.server_cpu_measured && events > 0)
    cpu_per_1k = *report.server_cpu_measured / (static_cast<double>(events) / 1000.0);
  std::optional<double> rss_per_stream;
  if (report.rss_before_kib && report.rss_open_kib && s.opened > 0)
    rss_per_stream = static_cast<double>(*report.rss_open_kib - *report.rss_before_kib) /
                     static_cast<double>(s.opened);

  out << "scenario " << o.scenario << ": " << o.streams << " streams over " << o.jobs << " jobs";
  if (burst)
    out << ", every job completes at once\n";
  else if (o.rate > 0)
    out << ", " << o.rate << " updates/s per job for " << o.duration << " s\n";
  else
    out << ", idle for " << o.hold << " s\n";
  out << "  streams      opened " << s.opened << ", failed " << s.failed;
  for (const auto& [status, count] : s.failed_status)
    out << " [" << (status == 0 ? std::string("I/O error") : "HTTP " + std::to_string(status))
        << ": " << count << "]";
  out << ", closed early " << s.closed_early << ", opened in " << fixed(report.open_seconds, 2)
      << " s\n";
  out << "  published    " << report.published << " records in " << fixed(report.publish_seconds, 2)
      << " s (max lag behind schedule " << fixed(report.max_publish_lag_ms, 2) << " ms)\n";
  if (burst)
    out << "  done events  " << s.done << " / " << report.expected << "\n";
  out << "  delivered    " << s.delivered << " / " << report.expected
      << " progress events; snapshots " << s.snapshots << ", gaps " << s.gaps << ", out of order "
      << s.out_of_order << ", pings " << s.pings << "\n";
  out << "  latency      " << (burst ? "EXEC → done" : "publish → receive") << " p50 "
      << fixed(latency.p50, 3) << " ms, p90 " << fixed(latency.p90, 3) << " ms, p99 "
      << fixed(latency.p99, 3) << " ms, max " << fixed(latency.max, 3) << " ms (" << latency.count
      << " samples)\n";
  out << "  server CPU   "
      << (report.server_cpu_open ? fixed(*report.server_cpu_open, 2) + " s opening" : "n/a") << ", "
      << (report.server_cpu_measured ? fixed(*report.server_cpu_measured, 2) + " s publishing"
                                     : "n/a")
      << (cpu_per_1k ? ", " + fixed(*cpu_per_1k, 4) + " CPU-s per 1,000 events" : "") << "\n";
  out << "  server RSS   before " << kib(report.rss_before_kib) << ", streams open "
      << kib(report.rss_open_kib) << ", after publishing " << kib(report.rss_after_kib)
      << ", streams closed " << kib(report.rss_closed_kib);
  if (rss_per_stream)
    out << "; growth " << fixed(*rss_per_stream, 2) << " KiB per stream";
  out << "\n  load tool    " << fixed(report.tool_cpu, 2) << " CPU-s\n";
  if (!report.error.empty())
    out << "  error        " << report.error << "\n";

  const std::string verdict = check_targets(report, latency.p99, cpu_per_1k, rss_per_stream);
  const bool met = verdict == "met";
  out << "  targets      " << verdict << "\n";

  out << "summary\t" << o.scenario << '\t' << s.opened << '/' << o.streams << '\t'
      << (burst ? s.done : s.delivered) << '/' << report.expected << '\t' << fixed(latency.p50, 3)
      << '\t' << fixed(latency.p90, 3) << '\t' << fixed(latency.p99, 3) << '\t'
      << fixed(latency.max, 3) << '\t' << (cpu_per_1k ? fixed(*cpu_per_1k, 4) : "-") << '\t'
      << (rss_per_stream ? fixed(*rss_per_stream, 2) : "-") << '\t' << verdict << "\n";
  return met;
}

}  // namespace headway::load
