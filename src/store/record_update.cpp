#include "store/record_update.hpp"

#include <boost/json.hpp>

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

}  // namespace headway::store
