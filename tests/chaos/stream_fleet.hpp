#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// Hundreds of SSE and WebSocket streams on one thread (one epoll set), each
// following its job to `done` across server deaths and restarts: a stream the
// server closes before `done` reconnects, to the next server in the list, with
// `Last-Event-ID` (WebSocket: `?last_event_id=`) set to the last seq it got.
namespace headway::test {

struct FleetStream {
  std::string job_id;
  bool websocket = false;
  std::size_t server = 0;  // index into FleetConfig::ports of the first connection
};

// What one stream saw, over all its connections.
struct StreamOutcome {
  std::string job_id;
  bool websocket = false;
  std::int64_t last_seq = 0;
  std::uint64_t progress_events = 0;
  std::uint64_t not_increasing = 0;  // progress events whose seq was not above the last
  std::optional<std::string> done_status;
  int connections = 0;  // answered 200 (SSE) or 101 (WebSocket)
  int reconnects = 0;   // connections lost before `done`, and refused attempts
  std::string last_error;
};

struct FleetConfig {
  std::vector<int> ports;  // servers on 127.0.0.1
  std::string token;       // sent as a Bearer token
  std::chrono::milliseconds reconnect_delay{300};
  int max_attempts = 400;             // connection attempts per stream, at most
  std::size_t open_concurrency = 64;  // connects not yet answered, at most
};

// Thread-safe: the counters and outcomes() may be read from any thread while
// the fleet runs.
class StreamFleet {
 public:
  StreamFleet(FleetConfig config, std::vector<FleetStream> streams);
  ~StreamFleet();
  StreamFleet(const StreamFleet&) = delete;
  StreamFleet& operator=(const StreamFleet&) = delete;

  void start();
  // Closes every stream from the client's side and stops the thread.
  void stop();

  std::size_t size() const { return streams_.size(); }
  std::size_t connected() const;  // streams that got at least one answer
  std::size_t finished() const;   // `done` received, or attempts used up
  std::size_t done() const;       // `done` received
  std::vector<StreamOutcome> outcomes() const;

 private:
  struct Stream;
  void run();
  void open(Stream& stream);
  void on_ready(Stream& stream, std::uint32_t events);
  void on_readable(Stream& stream);
  bool on_event(Stream& stream, std::string_view type, std::string_view id, std::string_view data);
  // The server answered 200 (SSE) or 101 (WebSocket) on this connection.
  void mark_answered(Stream& stream);
  void stop_opening(Stream& stream);
  void lost(Stream& stream, const std::string& why);
  void close_socket(Stream& stream);

  FleetConfig config_;
  std::vector<std::unique_ptr<Stream>> streams_;
  int epoll_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;  // guards the outcomes against readers on other threads
  std::size_t opening_ = 0;
};

}  // namespace headway::test
