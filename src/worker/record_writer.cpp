#include "worker/record_writer.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "redis/keys.hpp"
#include "redis/scripts.hpp"
#include "redis/write_reply.hpp"

namespace headway::worker {
namespace json = boost::json;

JobError redis_error(std::string_view what, const redis::CommandResult& result) {
  if (!result.ok())
    return {JobError::Code::unavailable, {}, std::string(what) + ": Redis: " + result.error};
  return {JobError::Code::internal,
          {},
          std::string(what) + ": Redis answered: " + std::string(result.error_reply())};
}

JobResult<std::int64_t> write_record(redis::Connection& redis, ProgressRecord record,
                                     const RecordOptions& options) {
  const std::string record_key = redis::keys::record(record.job_id);
  const std::string cancel_key = redis::keys::cancel(record.job_id);
  const std::string ttl = std::to_string(options.ttl.count());
  const std::string max_len = std::to_string(options.events_max_len);
  const std::string status(to_string(record.status));
  // Another writer may get in between; a few rounds settle it (the Tracker does the same).
  for (int round = 0; round < 4; ++round) {
    const std::string json_text = to_json(record);
    const std::string seq = std::to_string(record.seq);
    // EVAL rather than EVALSHA: these writes are rare, and Redis caches the
    // compiled script by its hash anyway.
    auto result = redis.command({"EVAL", redis::scripts::kWriteRecord, "3", record_key,
                                 redis::keys::kEventsStream, cancel_key, json_text, seq, ttl, "1",
                                 max_len, record.job_id, status});
    if (!result.ok() || result.is_error_reply())
      return redis_error("write the progress record", result);
    auto reply = redis::parse_write_reply(result.reply.get());
    if (!reply)
      return JobError{JobError::Code::internal, {}, "unexpected reply from the write script"};
    if (reply->written) {
      if (!reply->replaced_invalid.empty()) {
        spdlog::warn("progress:job:{} held no record of this job ({}); overwritten", record.job_id,
                     reply->replaced_invalid);
      }
      return record.seq;
    }
    record.seq = reply->seq + 1;
  }
  return JobError{JobError::Code::unavailable, {}, "the stored record's seq kept moving ahead"};
}

JobResult<std::optional<ProgressRecord>> read_record(redis::Connection& redis,
                                                     std::string_view job_id) {
  auto result = redis.command({"GET", redis::keys::record(job_id)});
  if (!result.ok() || result.is_error_reply())
    return redis_error("read the progress record", result);
  if (result.reply->type != REDIS_REPLY_STRING)
    return std::optional<ProgressRecord>();
  auto record = parse_progress_record(std::string_view(result.reply->str, result.reply->len));
  if (record && record->job_id != job_id)
    return std::optional<ProgressRecord>();
  return record;
}

JobResult<std::int64_t> write_final_record(redis::Connection& redis, const ProgressRecord& fallback,
                                           JobStatus status, std::string_view error,
                                           const RecordOptions& options) {
  auto stored = read_record(redis, fallback.job_id);
  if (!stored)
    return stored.error();
  ProgressRecord record = stored->value_or(fallback);
  record.seq = std::max(record.seq, fallback.seq) + 1;
  record.status = status;
  record.last_updated = fallback.last_updated;
  record.eta_seconds = 0.0;
  boost::system::error_code parse_error;
  json::value metadata = json::parse(record.metadata_json, parse_error);
  if (parse_error || !metadata.is_object())
    metadata = json::object();
  if (status == JobStatus::failed)
    metadata.get_object()["error"] = error;
  record.metadata_json = json::serialize(metadata);
  return write_record(redis, std::move(record), options);
}

}  // namespace headway::worker
