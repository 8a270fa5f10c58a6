#include "server/metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace headway::server {
namespace {

const char* transport_name(int i) {
  return i == 0 ? "sse" : "websocket";
}

template <typename T>
T* single(prometheus::Registry& registry, const std::string& name, const std::string& help) {
  if constexpr (std::is_same_v<T, prometheus::Counter>) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
  } else {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
  }
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  active_streams_family_ = &prometheus::BuildGauge()
                                .Name("headway_streams_active")
                                .Help("Open progress streams")
                                .Register(r);
  auto& total = prometheus::BuildCounter()
                    .Name("headway_streams_total")
                    .Help("Progress streams opened since start")
                    .Register(r);
  for (int i = 0; i < 2; ++i) {
    active_[i] = &active_streams_family_->Add({{"transport", transport_name(i)}});
    total_[i] = &total.Add({{"transport", transport_name(i)}});
  }
  auto& events = prometheus::BuildCounter()
                     .Name("headway_stream_events_sent_total")
                     .Help("Events written to streams, by type")
                     .Register(r);
  const char* types[] = {"connected", "progress", "done", "ping"};
  for (int i = 0; i < 4; ++i)
    events_[i] = &events.Add({{"type", types[i]}});
  http_requests_ = &prometheus::BuildCounter()
                        .Name("headway_http_requests_total")
                        .Help("HTTP requests by route and status")
                        .Register(r);
  http_duration_ = &prometheus::BuildHistogram()
                        .Name("headway_http_request_duration_seconds")
                        .Help("Time to answer a non-stream request, by route")
                        .Register(r);
  recorder_family_ = &prometheus::BuildCounter()
                          .Name("headway_recorder_events_total")
                          .Help("progress:events entries handled by the recorder, by outcome")
                          .Register(r);
  using C = prometheus::Counter;
  using G = prometheus::Gauge;
  pubsub_subscriptions_ = single<G>(r, "headway_pubsub_subscriptions",
                                    "Jobs this process is subscribed to on Redis pub/sub");
  redis_up_ = single<G>(r, "headway_redis_up", "1 while both Redis connections are up");
  redis_misses_ = single<C>(r, "headway_redis_misses_total",
                            "Snapshot reads that found no usable record in Redis");
  redis_malformed_ = single<C>(r, "headway_redis_malformed_total",
                               "Values in Redis (keys or messages) that were not valid records");
  auto& dropped = prometheus::BuildCounter()
                      .Name("headway_records_dropped_total")
                      .Help("Records from Redis (keys or messages) not relayed, by reason")
                      .Register(r);
  dropped_invalid_ = &dropped.Add({{"reason", "invalid"}});
  dropped_other_job_ = &dropped.Add({{"reason", "other_job"}});
  db_fallbacks_ = single<C>(r, "headway_db_fallbacks_total",
                            "Records synthesized from the job table instead of Redis");
  db_errors_ = single<C>(r, "headway_db_errors_total", "Failed job-table calls");
  auto& reconnects = prometheus::BuildCounter()
                         .Name("headway_redis_reconnects_total")
                         .Help("Redis connections re-established after a failure")
                         .Register(r);
  reconnects_pubsub_ = &reconnects.Add({{"connection", "pubsub"}});
  reconnects_commands_ = &reconnects.Add({{"connection", "commands"}});
  coalesced_ = single<C>(r, "headway_stream_coalesced_total",
                         "Pending records replaced by a newer one before a slow client took them");
  slow_drops_ = single<C>(r, "headway_stream_slow_drops_total",
                          "Streams dropped because the client accepted no data in time");
  rejected_connections_ = single<C>(r, "headway_connections_rejected_total",
                                    "Connections answered 503 over the connection limit");
  open_connections_ = single<G>(r, "headway_connections_open", "Open TCP connections");
  fanout_latency_ =
      &prometheus::BuildHistogram()
           .Name("headway_fanout_latency_seconds")
           .Help("From a live record's pub/sub message to its offer to the job's local streams")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.00001, 0.000025, 0.00005, 0.0001,
                                                            0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                            0.01, 0.025, 0.1});
  jobs_created_ = &prometheus::BuildCounter()
                       .Name("headway_jobs_created_total")
                       .Help("Jobs created through the API, by type")
                       .Register(r);
  auto& finished = prometheus::BuildCounter()
                       .Name("headway_jobs_finished_total")
                       .Help("Terminal records folded into the job table, by status")
                       .Register(r);
  const char* outcomes[] = {"completed", "failed", "cancelled"};
  for (int i = 0; i < 3; ++i)
    jobs_finished_[i] = &finished.Add({{"status", outcomes[i]}});
  db_up_ = single<G>(r, "headway_db_up", "1 while the job table answers");
  queue_waiting_ =
      single<G>(r, "headway_queue_waiting_jobs", "Jobs in jobs:queue that no worker took yet");
  queue_running_ =
      single<G>(r, "headway_queue_running_jobs",
                "Jobs in jobs:queue that a worker holds (delivered, not acknowledged)");
  queue_oldest_age_ = single<G>(r, "headway_queue_oldest_waiting_age_seconds",
                                "Age of the oldest job waiting in jobs:queue (0 when none waits)");
  process_ = std::make_unique<ProcessMetrics>(r);
}

void Metrics::job_created(std::string_view type) {
  jobs_created_->Add({{"type", std::string(type)}}).Increment();
}

void Metrics::job_finished(JobStatus status) {
  switch (status) {
    case JobStatus::completed:
      jobs_finished_[0]->Increment();
      return;
    case JobStatus::failed:
      jobs_finished_[1]->Increment();
      return;
    case JobStatus::cancelled:
      jobs_finished_[2]->Increment();
      return;
    default:
      return;
  }
}

void Metrics::stream_opened(Transport transport) {
  active_[static_cast<int>(transport)]->Increment();
  total_[static_cast<int>(transport)]->Increment();
}

void Metrics::stream_closed(Transport transport) {
  active_[static_cast<int>(transport)]->Decrement();
}

void Metrics::http_request(std::string_view route, unsigned status, double seconds,
                           bool observe_duration) {
  const std::string route_label(route);
  http_requests_->Add({{"route", route_label}, {"status", std::to_string(status)}}).Increment();
  if (observe_duration) {
    static const prometheus::Histogram::BucketBoundaries buckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    http_duration_->Add({{"route", route_label}}, buckets).Observe(seconds);
  }
}

void Metrics::record_dropped(RecordVerdict verdict) {
  switch (verdict) {
    case RecordVerdict::valid:
      return;
    case RecordVerdict::invalid:
      dropped_invalid_->Increment();
      redis_malformed_->Increment();
      return;
    case RecordVerdict::other_job:
      dropped_other_job_->Increment();
      return;
  }
}

prometheus::Counter& Metrics::recorder_events(std::string_view outcome) {
  return recorder_family_->Add({{"outcome", std::string(outcome)}});
}

std::string Metrics::render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace headway::server
