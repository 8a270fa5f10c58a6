#include "store/record_update.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace headway::store {

ProgressUpdate to_store_update(const ProgressRecord& record) {
  ProgressUpdate update;
  update.job_id = record.job_id;
  update.seq = record.seq;
  update.status = record.status;
  update.stage = record.stage;
  update.stage_progress = record.stage_progress;
  update.overall_progress = record.overall_progress;
  update.eta_seconds = record.eta_seconds;
  update.attempt = record.attempt;
  if (record.started_at > 0)
    update.started_at = record.started_at;
  update.last_updated = record.last_updated;
  boost::system::error_code error;
  const auto metadata = boost::json::parse(record.metadata_json, error);
  if (!error && metadata.is_object()) {
    const auto* text = metadata.get_object().if_contains("error");
    if (text && text->is_string())
      update.error = std::string(text->get_string());
  }
  return update;
}

ProgressRecord to_progress_record(const Job& job) {
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
  return record;
}

}  // namespace headway::store
