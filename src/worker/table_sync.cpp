#include "worker/table_sync.hpp"

#include <boost/json.hpp>

namespace headway::worker {
namespace json = boost::json;

store::ProgressUpdate to_store_update(const ProgressRecord& record) {
  store::ProgressUpdate update;
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
  const json::value metadata = json::parse(record.metadata_json, error);
  if (!error && metadata.is_object()) {
    if (const auto* text = metadata.get_object().if_contains("error"); text && text->is_string())
      update.error = std::string(text->get_string());
  }
  return update;
}

JobError store_error(std::string_view what, const store::Error& error) {
  using store::ErrorCode;
  JobError::Code code = JobError::Code::internal;
  switch (error.code) {
    case ErrorCode::invalid_argument:
      code = JobError::Code::bad_request;
      break;
    case ErrorCode::not_found:
      code = JobError::Code::not_found;
      break;
    case ErrorCode::already_exists:
      code = JobError::Code::conflict;
      break;
    case ErrorCode::unavailable:
    case ErrorCode::busy:
      code = JobError::Code::unavailable;
      break;
    case ErrorCode::schema:
    case ErrorCode::internal:
      break;
  }
  return {code, {}, std::string(what) + ": " + error.message};
}

}  // namespace headway::worker
