#include "server/update.hpp"

#include "core/progress_record.hpp"

namespace headway::server {

std::optional<Update> parse_update(std::string_view json) {
  auto record = parse_progress_record(json);
  if (!record)
    return std::nullopt;
  return Update{record->seq, record->status, std::make_shared<const std::string>(json)};
}

Update synthesize_update(const store::Job& job) {
  ProgressRecord record;
  record.job_id = job.id;
  record.stage = job.stage;
  record.stage_progress = job.stage_progress;
  record.overall_progress = job.overall_progress;
  record.status = job.status;
  record.eta_seconds = job.eta_seconds;
  record.started_at = job.started_at.value_or(0);
  record.last_updated = job.updated_at;
  record.seq = job.last_seq;
  record.attempt = std::max<std::int64_t>(job.attempts, 1);
  if (!job.error.empty()) {
    record.metadata_json = "{\"error\":";
    append_json_string(record.metadata_json, job.error);
    record.metadata_json += '}';
  }
  return Update{record.seq, record.status, std::make_shared<const std::string>(to_json(record))};
}

}  // namespace headway::server
