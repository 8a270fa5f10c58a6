#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job_status.hpp"

namespace headway::server {

// The most jobs one many-job stream may watch (GET /api/generation/streams/).
inline constexpr std::size_t kMaxJobsPerStream = 50;

// One job of a many-job stream, in the order the request named it.
struct StreamedJob {
  std::string id;             // lower-case UUID
  std::int64_t position = 0;  // the newest seq of this job the client has (0: none)
  bool visible = true;        // false: unknown, or not the caller's: gets `not_found` only
};

struct JobListError {
  std::string error;   // the error code of the 400 answer
  std::string detail;  // what was wrong, for a person
};

// Parses the `jobs` query value: job ids (UUIDs) separated by commas, each
// at most once, from 1 to kMaxJobsPerStream of them. On success fills `jobs`
// (ids lower-cased, positions 0).
std::optional<JobListError> parse_job_list(std::string_view text, std::vector<StreamedJob>& jobs);

// Applies a resume position ("12,0,45": the newest seq the client has of
// each job, in the order of the job list) to `jobs`. A position that does not
// have exactly one whole number from 0 to kMaxSeq per job is ignored: every
// job then starts afresh (the client drops what it already has by seq).
void apply_positions(std::string_view text, std::vector<StreamedJob>& jobs);

// The resume position of `jobs` as apply_positions reads it.
std::string format_positions(const std::vector<StreamedJob>& jobs);

// The data of a many-job stream's `done` event: {"job_id":..,"status":..}.
std::string done_event_data(const std::string& job_id, JobStatus status);
// The data of its `not_found` event, for a job the caller may not see
// (unknown, or someone else's: the two are not told apart).
std::string not_found_event_data(const std::string& job_id);
// The data of its `connected` event: {"job_id":..}.
std::string connected_event_data(const std::string& job_id);

}  // namespace headway::server
