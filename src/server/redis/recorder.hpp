#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "redis/connection.hpp"
#include "redis/redis_url.hpp"
#include "server/config.hpp"
#include "store/job_store.hpp"

namespace headway::server {

class Metrics;

// Folds the durable `progress:events` stream into the job table, so the table
// shows stage boundaries and final states even when nobody watched and even
// when the server was down when the job finished.
//
// Reads through a consumer group (created at id 0 with MKSTREAM, so a first
// start also folds what was written before it), first re-reading its own
// pending entries, then claiming entries another consumer left pending, then
// new ones with a blocking XREADGROUP. An entry is acknowledged after the
// table accepted it (applied, stale or unknown job); a database failure leaves
// it pending for the next round. Delivery is at least once and apply_record is
// idempotent by seq, so replays are harmless. Redis failures reconnect with
// backoff (1 s doubling to the configured cap), forever.
//
// Runs on its own thread with a blocking hiredis connection. Thread-safe:
// start/stop from one owner thread.
class Recorder {
 public:
  Recorder(redis::Endpoint endpoint, store::JobStore& store, const ServerConfig& config,
           Metrics& metrics);
  ~Recorder();

  void start();
  // Returns within about one BLOCK period (1 s).
  void stop();
  // Whether its Redis connection is up, as its last command found it. The
  // recorder is nearly always inside a blocking read, so a connection Redis
  // closes is noticed at once.
  bool connected() const { return connected_.load(); }

 private:
  enum class Round { idle, progressed, failed };
  void run();
  bool connect();
  bool ensure_group();
  Round read_round(const char* from_id);
  Round claim_abandoned();
  Round handle_entries(const redisReply* entries);
  bool fold_entry(const redisReply* entry, std::string& id);
  void pause(std::chrono::milliseconds delay);

  redis::Endpoint endpoint_;
  store::JobStore& store_;
  const ServerConfig& config_;
  Metrics& metrics_;
  std::string consumer_;
  std::unique_ptr<redis::Connection> connection_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
};

}  // namespace headway::server
