#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/event_stream.hpp"

namespace headway::load {

// What the streams saw, complete once the pool has stopped.
struct StreamResults {
  std::size_t opened = 0;                    // 200 and `connected` received
  std::size_t failed = 0;                    // connect error or a status other than 200
  std::map<int, std::size_t> failed_status;  // status (0: connect/read error) → count
  std::size_t closed_early = 0;              // closed by the server before `done` or our own close
  std::uint64_t snapshots = 0;  // first progress event of each stream (the subscription's snapshot)
  std::uint64_t delivered = 0;  // progress events carrying a publish stamp
  std::uint64_t out_of_order = 0;  // seq not greater than the last one on that stream
  std::uint64_t gaps = 0;          // seqs skipped (coalesced or lost)
  std::uint64_t done = 0;
  std::uint64_t pings = 0;
  std::vector<std::int64_t> latency_ns;  // publish → receive, one per delivered event
  std::vector<std::int64_t> done_at_ns;  // receive time of every `done`
};

// N SSE clients (`GET /api/generation/stream/<id>/`) on one I/O thread:
// stream i watches job i % M. Each stream costs one socket, a 2 KiB read
// buffer and the bytes of an unfinished event, so one process holds 10,000+.
// The live counters are safe to read from any thread; everything else is
// touched only by the I/O thread until stop() has returned.
class StreamPool {
 public:
  struct Config {
    std::uint16_t port = 0;
    std::vector<std::string> job_ids;
    std::size_t streams = 0;
    std::string token;                              // sent as a Bearer token when set
    std::size_t open_concurrency = 200;             // connects not yet answered, at most
    std::chrono::microseconds read_interval{1000};  // rounds of reading start at most this often
  };

  explicit StreamPool(Config config);
  ~StreamPool();
  StreamPool(const StreamPool&) = delete;
  StreamPool& operator=(const StreamPool&) = delete;

  // Starts the I/O thread and begins opening the streams.
  void start();
  // Closes every socket from our side (not counted as closed early).
  void close_all();
  // Stops the I/O thread; results() is complete afterwards.
  void stop();

  std::size_t settled() const { return settled_.load(); }  // opened or failed
  std::size_t opened() const { return opened_.load(); }
  std::size_t ready() const { return ready_.load(); }  // snapshot received
  std::uint64_t delivered() const { return delivered_.load(); }
  std::uint64_t done() const { return done_.load(); }
  const StreamResults& results() const { return results_; }

 private:
  struct Stream;
  void open_next();
  void on_connected(Stream& stream);
  void run();
  void wake();
  void on_readable(Stream& stream);
  // One recvmsg; sets `received_ns` to the kernel's stamp of the data when it
  // gives one. Returns what recvmsg returned.
  ssize_t receive(Stream& stream, std::int64_t& received_ns);
  // Parses what arrived: the response head, then whole events.
  void consume(Stream& stream, std::string_view bytes, std::int64_t received_ns);
  void handle_event(Stream& stream, const client::StreamEvent& event, std::int64_t received_ns);
  void fail(Stream& stream, int status);
  void finish(Stream& stream);

  Config config_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  int ready_set_;  // epoll set of the open streams and `wake_`
  int wake_;       // eventfd: work for the io_context, or stop
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Stream>> streams_;
  std::size_t next_to_open_ = 0;
  std::size_t opening_ = 0;
  bool closing_ = false;
  StreamResults results_;
  std::thread thread_;
  std::atomic<std::size_t> settled_{0};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> ready_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> done_{0};
};

}  // namespace headway::load
