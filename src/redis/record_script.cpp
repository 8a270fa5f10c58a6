#include "redis/record_script.hpp"

#include "redis/keys.hpp"
#include "redis/scripts.hpp"

namespace headway::redis {

namespace {

std::optional<std::string> script_hash(const CommandResult& result, std::string& error) {
  if (!result.ok() || result.reply->type != REDIS_REPLY_STRING) {
    error = "cannot load the write script: " +
            (result.ok() ? std::string(result.error_reply()) : result.error);
    return std::nullopt;
  }
  return std::string(result.reply->str, result.reply->len);
}

}  // namespace

std::string RecordScriptRun::error() const {
  if (reply)
    return {};
  if (!event_error.empty())
    return "Redis events stream append failed: " + event_error;
  if (!result.ok())
    return "Redis write failed: " + result.error;
  if (result.is_error_reply())
    return "Redis refused the write: " + std::string(result.error_reply());
  return "unexpected reply from the write script";
}

RecordScriptRun run_write_script(Connection& connection, const RecordScriptCall& call,
                                 std::string_view sha) {
  const std::string record_key = keys::record(call.job_id);
  const std::string cancel_key = keys::cancel(call.job_id);
  const std::string seq = std::to_string(call.seq);
  const std::string ttl = std::to_string(call.ttl_seconds);
  const std::string max_len = std::to_string(call.events_max_len);
  const bool by_hash = !sha.empty();
  RecordScriptRun run;
  run.result = connection.command(
      {by_hash ? "EVALSHA" : "EVAL", by_hash ? sha : std::string_view(scripts::kWriteRecord), "3",
       record_key, keys::kEventsStream, cancel_key, call.record_json, seq, ttl,
       call.append_event ? "1" : "0", max_len, call.job_id, call.status});
  if (run.result.ok() && !run.result.is_error_reply())
    run.reply = parse_write_reply(run.result.reply.get());
  return run;
}

RecordScriptRun run_write_script(ClusterClient& cluster, const RecordScriptCall& call,
                                 std::string_view sha) {
  const std::string record_key = keys::cluster::record(call.job_id);
  const std::string cancel_key = keys::cluster::cancel(call.job_id);
  const std::string channel = keys::cluster::channel(call.job_id);
  const std::string seq = std::to_string(call.seq);
  const std::string ttl = std::to_string(call.ttl_seconds);
  const std::string max_len = std::to_string(call.events_max_len);
  const bool by_hash = !sha.empty();
  RecordScriptRun run;
  run.result = cluster.command(record_key, {by_hash ? "EVALSHA" : "EVAL",
                                            by_hash ? sha : std::string_view(scripts::kWriteRecord),
                                            "2", record_key, cancel_key, call.record_json, seq, ttl,
                                            "0", max_len, call.job_id, call.status, channel});
  if (run.result.ok() && !run.result.is_error_reply())
    run.reply = parse_write_reply(run.result.reply.get());
  if (!run.reply || !run.reply->written || !call.append_event)
    return run;
  // Another slot than the job's keys, so not in the script: at least once,
  // since a failure here fails the write and the record is written again.
  const std::string stream =
      keys::cluster::events_stream(keys::cluster::event_partition(call.job_id));
  const auto appended =
      cluster.command(stream, {"XADD", stream, "MAXLEN", "~", max_len, "*", "job_id", call.job_id,
                               "seq", seq, "status", call.status, "record", call.record_json});
  if (!appended.ok() || appended.is_error_reply()) {
    run.event_error = appended.ok() ? std::string(appended.error_reply()) : appended.error;
    run.reply.reset();
  }
  return run;
}

std::optional<std::string> load_record_script(Connection& connection, std::string& error) {
  return script_hash(connection.command({"SCRIPT", "LOAD", scripts::kWriteRecord}), error);
}

std::optional<std::string> load_record_script(ClusterClient& cluster, std::string_view job_id,
                                              std::string& error) {
  return script_hash(
      cluster.command(keys::cluster::record(job_id), {"SCRIPT", "LOAD", scripts::kWriteRecord}),
      error);
}

std::optional<WriteReply> parse_write_reply(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
    return std::nullopt;
  for (std::size_t i = 0; i < 3; ++i) {
    if (reply->element[i]->type != REDIS_REPLY_INTEGER)
      return std::nullopt;
  }
  const redisReply* replaced = reply->element[3];
  if (replaced->type != REDIS_REPLY_STRING)
    return std::nullopt;
  WriteReply parsed;
  parsed.written = reply->element[0]->integer == 1;
  parsed.seq = reply->element[1]->integer;
  parsed.cancel_requested = reply->element[2]->integer == 1;
  parsed.replaced_invalid.assign(replaced->str, replaced->len);
  return parsed;
}

}  // namespace headway::redis
