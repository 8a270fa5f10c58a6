#include "jobs/record_writer.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "redis/keys.hpp"
#include "redis/record_script.hpp"

namespace headway::worker {
namespace json = boost::json;

JobError redis_error(std::string_view what, const redis::CommandResult& result) {
  if (!result.ok())
    return {JobError::Code::unavailable, {}, std::string(what) + ": Redis: " + result.error};
  return {JobError::Code::internal,
          {},
          std::string(what) + ": Redis answered: " + std::string(result.error_reply())};
}

JobResult<RecordWrite> write_record_if_newer(redis::Connection& redis, const ProgressRecord& record,
                                             const RecordOptions& options) {
  const std::string json_text = to_json(record);
  // EVAL rather than EVALSHA: these writes are rare, and Redis caches the
  // compiled script by its hash anyway.
  auto run = redis::run_write_script(
      redis, {record.job_id, json_text, record.seq, to_string(record.status),
              /*append_event=*/true, options.ttl.count(), options.events_max_len});
  if (!run.result.ok() || run.result.is_error_reply())
    return redis_error("write the progress record", run.result);
  auto& reply = run.reply;
  if (!reply)
    return JobError{JobError::Code::internal, {}, "unexpected reply from the write script"};
  if (reply->written && !reply->replaced_invalid.empty()) {
    spdlog::warn("progress:job:{} held no record of this job ({}); overwritten", record.job_id,
                 reply->replaced_invalid);
  }
  return RecordWrite{reply->written, reply->seq};
}

JobResult<std::int64_t> write_record(redis::Connection& redis, ProgressRecord record,
                                     const RecordOptions& options) {
  // Another writer may get in between; a few rounds settle it (the Tracker does the same).
  for (int round = 0; round < 4; ++round) {
    auto written = write_record_if_newer(redis, record, options);
    if (!written)
      return written.error();
    if (written->written)
      return record.seq;
    record.seq = written->stored_seq + 1;
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

ProgressRecord final_record(ProgressRecord record, JobStatus status, std::string_view error,
                            double now) {
  record.status = status;
  record.last_updated = now;
  record.eta_seconds = 0.0;
  boost::system::error_code parse_error;
  json::value metadata = json::parse(record.metadata_json, parse_error);
  if (parse_error || !metadata.is_object())
    metadata = json::object();
  if (status == JobStatus::failed)
    metadata.get_object()["error"] = error;
  record.metadata_json = json::serialize(metadata);
  return record;
}

JobResult<std::int64_t> write_final_record(redis::Connection& redis, const ProgressRecord& fallback,
                                           JobStatus status, std::string_view error,
                                           const RecordOptions& options) {
  auto stored = read_record(redis, fallback.job_id);
  if (!stored)
    return stored.error();
  ProgressRecord record =
      final_record(stored->value_or(fallback), status, error, fallback.last_updated);
  record.seq = std::max(stored->has_value() ? (*stored)->seq : 0, fallback.seq) + 1;
  return write_record(redis, std::move(record), options);
}

}  // namespace headway::worker
