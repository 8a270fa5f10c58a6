#include "redis/record_script.hpp"

#include "redis/keys.hpp"
#include "redis/scripts.hpp"

namespace headway::redis {

std::string RecordScriptRun::error() const {
  if (reply)
    return {};
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

std::optional<std::string> load_record_script(Connection& connection, std::string& error) {
  auto result = connection.command({"SCRIPT", "LOAD", scripts::kWriteRecord});
  if (!result.ok() || result.reply->type != REDIS_REPLY_STRING) {
    error = "cannot load the write script: " +
            (result.ok() ? std::string(result.error_reply()) : result.error);
    return std::nullopt;
  }
  return std::string(result.reply->str, result.reply->len);
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
