#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <mutex>

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace headway::server {

// The standard process_* metrics of Prometheus client libraries (CPU time,
// resident and virtual memory, open and maximum file descriptors, start
// time). prometheus-cpp offers no process collector, so they are read by
// hand from /proc/self (Linux only) on every scrape.
//
// Thread-safe: concurrent scrapes serialize in refresh().
class ProcessMetrics {
 public:
  explicit ProcessMetrics(prometheus::Registry& registry);
  // Reads /proc/self now; a file that cannot be read leaves its metric as it was.
  void refresh();

 private:
  std::mutex mutex_;  // guards cpu_seen_ and the reads
  prometheus::Counter* cpu_seconds_;
  double cpu_seen_ = 0;  // the CPU seconds already added to the counter
  prometheus::Gauge* resident_bytes_;
  prometheus::Gauge* virtual_bytes_;
  prometheus::Gauge* open_fds_;
  prometheus::Gauge* max_fds_;
  prometheus::Gauge* start_time_;
};

}  // namespace headway::server
