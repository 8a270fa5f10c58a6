#pragma once

#include <optional>
#include <string>

#include "server/asio_types.hpp"
#include "server/streams/rendered_update.hpp"
#include "store/job_store.hpp"

namespace headway::server {

class Metrics;
class RedisCommands;

// Where a job's current record comes from: the Redis key (one GET on the
// shared command connection) or, failing that, the job table (on the database
// thread pool). Counts misses, malformed records and fallbacks.
//
// Thread-safe: holds only references to thread-safe parts.
class Snapshots {
 public:
  enum class Outcome { found, missing, unavailable };
  struct Read {
    Outcome outcome = Outcome::unavailable;
    std::optional<Update> update;
  };

  Snapshots(RedisCommands& redis, store::JobStore& store, asio::thread_pool& db_pool,
            Metrics& metrics)
      : redis_(redis), store_(store), db_pool_(db_pool), metrics_(metrics) {}

  // The record stored under progress:job:<id>. A value that is not a valid
  // record of that job counts as missing (and in headway_records_dropped_total).
  awaitable<Read> from_redis(const std::string& job_id);
  // A record synthesized from the job's row; missing when there is no row.
  awaitable<Read> from_database(const std::string& job_id);
  // The row itself, for checks that need more than a record.
  awaitable<store::Result<store::Job>> job_row(const std::string& job_id);

 private:
  RedisCommands& redis_;
  store::JobStore& store_;
  asio::thread_pool& db_pool_;
  Metrics& metrics_;
};

}  // namespace headway::server
