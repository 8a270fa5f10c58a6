#include "core/job_status.hpp"

namespace headway {

std::string_view to_string(JobStatus status) {
  switch (status) {
    case JobStatus::queued:
      return "queued";
    case JobStatus::initializing:
      return "initializing";
    case JobStatus::running:
      return "running";
    case JobStatus::completed:
      return "completed";
    case JobStatus::failed:
      return "failed";
    case JobStatus::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<JobStatus> parse_job_status(std::string_view text) {
  for (auto s : {JobStatus::queued, JobStatus::initializing, JobStatus::running,
                 JobStatus::completed, JobStatus::failed, JobStatus::cancelled}) {
    if (to_string(s) == text)
      return s;
  }
  return std::nullopt;
}

}  // namespace headway
