#pragma once

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "redis/cluster.hpp"
#include "redis/connection.hpp"

namespace headway::redis {

// One write of a progress record by scripts/write_record.lua: SET with TTL +
// PUBLISH [+ XADD progress:events] + the cancel check, in one atomic round
// trip, refused when the stored record's seq is not older (docs/protocol.md
// section 3, "Writing a record"). `record_json` must carry this job_id and seq.
struct RecordScriptCall {
  std::string_view job_id;
  std::string_view record_json;
  std::int64_t seq = 0;
  std::string_view status;
  bool append_event = false;  // also XADD to progress:events
  std::int64_t ttl_seconds = 7200;
  std::size_t events_max_len = 100000;
};

// The script's reply.
struct WriteReply {
  bool written = false;
  std::int64_t seq = 0;  // written: the new seq; refused: the stored one
  bool cancel_requested = false;
  // Why the stored value was no record of this job and was overwritten;
  // empty when it was one, or there was none.
  std::string replaced_invalid;
};

// What came of one call: the command's result as Redis (or the connection)
// gave it, and the decoded reply when the script ran.
struct RecordScriptRun {
  CommandResult result;
  std::optional<WriteReply> reply;
  // On a cluster: the record was written but its events stream entry could
  // not be appended (why); `reply` is then empty, so the write counts as
  // failed and the writer writes the record again with the next seq.
  std::string event_error;

  // EVALSHA found no script under that hash (SCRIPT FLUSH, a restart):
  // load it again and retry.
  bool script_missing() const { return result.error_reply().starts_with("NOSCRIPT"); }
  // Why there is no reply, for errors and logs ("Redis write failed: ...",
  // "Redis refused the write: ...", "unexpected reply from the write script");
  // empty when there is one.
  std::string error() const;
};

// Runs the script on `connection`: EVALSHA `sha` when given (see
// load_record_script), else EVAL with the script's text. Inside MULTI the
// reply is QUEUED and `reply` stays empty; read each of EXEC's replies with
// parse_write_reply.
RecordScriptRun run_write_script(Connection& connection, const RecordScriptCall& call,
                                 std::string_view sha = {});

// The same on a Redis Cluster, with the cluster names (keys::cluster): the
// script on the job's two keys, then, when it wrote and `call.append_event`,
// XADD to the job's events partition.
RecordScriptRun run_write_script(ClusterClient& cluster, const RecordScriptCall& call,
                                 std::string_view sha = {});

// SCRIPT LOAD of write_record.lua: its hash, or nullopt with `error` set.
std::optional<std::string> load_record_script(Connection& connection, std::string& error);
// The same on the cluster node serving `job_id`'s keys.
std::optional<std::string> load_record_script(ClusterClient& cluster, std::string_view job_id,
                                              std::string& error);

// Reads the script's reply; nullopt for anything but {int, int, int, string}.
std::optional<WriteReply> parse_write_reply(const redisReply* reply);

}  // namespace headway::redis
