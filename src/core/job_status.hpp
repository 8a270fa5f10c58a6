#pragma once

#include <optional>
#include <string_view>

namespace headway {

// The lifecycle of a job (docs/protocol.md section 1, `status`).
enum class JobStatus { queued, initializing, running, completed, failed, cancelled };

// The wire name ("queued", ...).
std::string_view to_string(JobStatus status);
// Parses a wire name; nullopt for anything else (names are case-sensitive).
std::optional<JobStatus> parse_job_status(std::string_view text);
// completed, failed and cancelled: nothing more will happen to the job.
inline bool is_terminal(JobStatus s) {
  return s == JobStatus::completed || s == JobStatus::failed || s == JobStatus::cancelled;
}

}  // namespace headway
