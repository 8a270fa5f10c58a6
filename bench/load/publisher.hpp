#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/job_status.hpp"
#include "redis/connection.hpp"

namespace headway::load {

// The metadata key that carries a record's publish time (now_ns()), so a
// receiver can compute publish-to-receive latency.
inline constexpr std::string_view kSentKey = "\"load_sent_ns\":";

// Writes progress records exactly as the Tracker does: write_record.lua by
// EVALSHA over one blocking connection (SET + PUBLISH, + XADD for terminal
// records). Not thread-safe: one owner.
class Publisher {
 public:
  // Connects and loads the script. On failure returns nullptr and says why.
  static std::unique_ptr<Publisher> open(const std::string& redis_url, std::string& error);

  // Writes `seq` of `job_id`. With `stamp`, metadata carries the time taken
  // just before the write. Returns an error text, empty on success (a write the
  // script refuses as stale is an error here: the tool owns every seq).
  std::string write(const std::string& job_id, std::int64_t seq, JobStatus status, bool stamp);

  // Writes one terminal `completed` record per job inside MULTI/EXEC, so Redis
  // runs every write (and every PUBLISH) in one go: the jobs complete at the
  // same moment. `exec_sent_ns` is the time just before EXEC was sent.
  std::string complete_all(const std::vector<std::string>& job_ids, std::int64_t seq,
                           std::int64_t& exec_sent_ns);

 private:
  explicit Publisher(std::unique_ptr<redis::Connection> connection)
      : connection_(std::move(connection)) {}
  std::string send(const std::string& job_id, std::int64_t seq, JobStatus status, bool stamp,
                   bool queued);

  std::unique_ptr<redis::Connection> connection_;
  std::string script_sha_;
};

}  // namespace headway::load
