#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/job_status.hpp"
#include "core/progress_record.hpp"
#include "server/metrics/process_metrics.hpp"

namespace headway::server {

enum class Transport { sse, websocket };
enum class EventType { connected, progress, done, ping };

// The server's Prometheus metrics and their text rendering for GET /metrics.
//
// Thread-safe: prometheus-cpp counters and gauges are atomics; the per-label
// lookups (HTTP route and status) take the family's mutex. Hot-path metrics are
// resolved once at construction so streams only touch atomics.
class Metrics {
 public:
  Metrics();

  void stream_opened(Transport transport);
  void stream_closed(Transport transport);
  void event_sent(EventType type) { events_[static_cast<int>(type)]->Increment(); }
  void http_request(std::string_view route, unsigned status, double seconds, bool observe_duration);

  prometheus::Gauge& pubsub_subscriptions() { return *pubsub_subscriptions_; }
  prometheus::Gauge& redis_up() { return *redis_up_; }
  prometheus::Counter& redis_misses() { return *redis_misses_; }
  prometheus::Counter& redis_malformed() { return *redis_malformed_; }
  // Counts a record from Redis (key or message) that was not relayed; an
  // invalid one also in redis_malformed().
  void record_dropped(RecordVerdict verdict);
  prometheus::Counter& db_fallbacks() { return *db_fallbacks_; }
  prometheus::Counter& db_errors() { return *db_errors_; }
  prometheus::Counter& redis_reconnects(bool pubsub) {
    return pubsub ? *reconnects_pubsub_ : *reconnects_commands_;
  }
  prometheus::Counter& coalesced() { return *coalesced_; }
  prometheus::Counter& slow_drops() { return *slow_drops_; }
  prometheus::Counter& rejected_connections() { return *rejected_connections_; }
  prometheus::Gauge& open_connections() { return *open_connections_; }
  prometheus::Counter& recorder_events(std::string_view outcome);

  // A live record's way through this process: from its pub/sub message
  // being read to its offer to the last local stream of the job, once per
  // I/O thread that has streams of the job.
  void fanout_latency(double seconds) { fanout_latency_->Observe(seconds); }
  // A job created through the API, by type.
  void job_created(std::string_view type);
  // A terminal record the recorder folded into the job table (each attempt
  // that ends counts once: completed, failed or cancelled).
  void job_finished(JobStatus status);
  // Set on every scrape (and health check): the job table answers.
  prometheus::Gauge& db_up() { return *db_up_; }
  // The job queue (jobs:queue) as seen on a scrape: entries no worker took
  // yet, entries a worker holds (delivered, not acknowledged), and the age
  // of the oldest waiting entry (0 when none waits); left as they were when
  // Redis cannot answer.
  prometheus::Gauge& queue_waiting() { return *queue_waiting_; }
  prometheus::Gauge& queue_running() { return *queue_running_; }
  prometheus::Gauge& queue_oldest_age() { return *queue_oldest_age_; }
  ProcessMetrics& process() { return *process_; }

  // The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>* active_streams_family_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Histogram>* http_duration_;
  prometheus::Family<prometheus::Counter>* recorder_family_;
  prometheus::Gauge* active_[2];
  prometheus::Counter* total_[2];
  prometheus::Counter* events_[4];
  prometheus::Gauge* pubsub_subscriptions_;
  prometheus::Gauge* redis_up_;
  prometheus::Counter* redis_misses_;
  prometheus::Counter* redis_malformed_;
  prometheus::Counter* dropped_invalid_;
  prometheus::Counter* dropped_other_job_;
  prometheus::Counter* db_fallbacks_;
  prometheus::Counter* db_errors_;
  prometheus::Counter* reconnects_pubsub_;
  prometheus::Counter* reconnects_commands_;
  prometheus::Counter* coalesced_;
  prometheus::Counter* slow_drops_;
  prometheus::Counter* rejected_connections_;
  prometheus::Gauge* open_connections_;
  prometheus::Histogram* fanout_latency_;
  prometheus::Family<prometheus::Counter>* jobs_created_;
  prometheus::Counter* jobs_finished_[3];  // completed, failed, cancelled
  prometheus::Gauge* db_up_;
  prometheus::Gauge* queue_waiting_;
  prometheus::Gauge* queue_running_;
  prometheus::Gauge* queue_oldest_age_;
  std::unique_ptr<ProcessMetrics> process_;
};

}  // namespace headway::server
