#pragma once

#include <string>
#include <string_view>

#include "redis/cluster_slot.hpp"

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

// The names on a Redis Cluster (docs/protocol.md, "Redis Cluster"): a job's
// record, cancel flag and shard channel share the hash tag {<id>}, hence a
// slot; the events stream is split into partitions spread over the slots.
namespace cluster {

inline constexpr int kEventPartitions = 16;

inline std::string channel(std::string_view job_id) {
  return "progress:{" + std::string(job_id) + "}";
}
inline std::string record(std::string_view job_id) {
  return channel(job_id) + ":job";
}
inline std::string cancel(std::string_view job_id) {
  return channel(job_id) + ":cancel";
}
// The events partition of a job: CRC16 of its id modulo 16.
inline int event_partition(std::string_view job_id) {
  return crc16(job_id) % kEventPartitions;
}
inline std::string events_stream(int partition) {
  return std::string(kEventsStream) + ":{" + std::to_string(partition) + "}";
}

}  // namespace cluster

}  // namespace headway::redis::keys
