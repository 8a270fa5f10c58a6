#include "server/streams/many_job_stream.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/progress_record.hpp"
#include "core/uuid.hpp"

namespace headway::server {
namespace {

// Calls `each` with every comma-separated piece of `text` (empty ones too).
template <typename Each>
void split_commas(std::string_view text, Each each) {
  for (;;) {
    const auto comma = text.find(',');
    each(text.substr(0, comma));
    if (comma == std::string_view::npos)
      return;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<JobListError> parse_job_list(std::string_view text, std::vector<StreamedJob>& jobs) {
  jobs.clear();
  if (text.empty())
    return JobListError{"invalid_job_list", "jobs: name at least one job id (jobs=<id>,<id>,...)"};
  std::optional<JobListError> error;
  std::size_t count = 0;
  split_commas(text, [&](std::string_view id) {
    ++count;
    if (error || count > kMaxJobsPerStream)
      return;
    if (!is_uuid(id)) {
      error = JobListError{"invalid_job_id", "jobs: '" + std::string(id.substr(0, 64)) +
                                                 "' is not a job id; a job id is a UUID such as "
                                                 "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77"};
      return;
    }
    std::string lower(id);
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::any_of(jobs.begin(), jobs.end(), [&](const auto& job) { return job.id == lower; })) {
      error = JobListError{"invalid_job_list", "jobs: " + lower + " is named more than once"};
      return;
    }
    jobs.push_back(StreamedJob{std::move(lower)});
  });
  if (!error && count > kMaxJobsPerStream) {
    error = JobListError{"too_many_jobs", "jobs: at most " + std::to_string(kMaxJobsPerStream) +
                                              " jobs per stream, got " + std::to_string(count)};
  }
  if (error)
    jobs.clear();
  return error;
}

void apply_positions(std::string_view text, std::vector<StreamedJob>& jobs) {
  std::vector<std::int64_t> positions;
  bool valid = true;
  split_commas(text, [&](std::string_view piece) {
    std::int64_t seq = -1;
    auto [end, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), seq);
    valid = valid && ec == std::errc{} && end == piece.data() + piece.size() && seq >= 0 &&
            seq <= kMaxSeq;
    positions.push_back(seq);
  });
  if (!valid || positions.size() != jobs.size())
    return;
  for (std::size_t i = 0; i < jobs.size(); ++i)
    jobs[i].position = positions[i];
}

std::string done_event_data(const std::string& job_id, JobStatus status) {
  std::string out = "{\"job_id\":";
  append_json_string(out, job_id);
  out += ",\"status\":\"";
  out += to_string(status);
  out += "\"}";
  return out;
}

std::string not_found_event_data(const std::string& job_id) {
  std::string out = "{\"job_id\":";
  append_json_string(out, job_id);
  out += ",\"error\":\"job_not_found\",\"detail\":";
  append_json_string(out, "no job " + job_id + " in Redis or the job table");
  out += "}";
  return out;
}

std::string connected_event_data(const std::string& job_id) {
  std::string out = "{\"job_id\":";
  append_json_string(out, job_id);
  out += "}";
  return out;
}

std::string format_positions(const std::vector<StreamedJob>& jobs) {
  std::string out;
  for (const auto& job : jobs) {
    if (!out.empty())
      out += ',';
    out += std::to_string(job.position);
  }
  return out;
}

}  // namespace headway::server
