#pragma once

#include <string>
#include <string_view>

// The Redis names of docs/protocol.md section 2, in one place.
namespace headway::redis::keys {

inline constexpr std::string_view kRecordPrefix = "progress:job:";
inline constexpr std::string_view kCancelPrefix = "progress:cancel:";
inline constexpr std::string_view kEventsStream = "progress:events";
inline constexpr std::string_view kJobsQueue = "jobs:queue";

inline std::string record(std::string_view job_id) {
  return std::string(kRecordPrefix) + std::string(job_id);
}
inline std::string cancel(std::string_view job_id) {
  return std::string(kCancelPrefix) + std::string(job_id);
}

}  // namespace headway::redis::keys
