#include "worker/lease.hpp"

#include "worker/queue_keys.hpp"
#include "worker/record_writer.hpp"

namespace headway::worker {

namespace {

// Compare-and-act in one step, so a worker never extends or deletes a lease
// that expired and was taken by another worker in between.
constexpr const char* kRefreshScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0)lua";

constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0)lua";

}  // namespace

JobResult<LeaseState> acquire_lease(redis::Connection& redis, std::string_view job_id,
                                    std::string_view owner, std::chrono::milliseconds ttl) {
  auto result =
      redis.command({"SET", keys::lease(job_id), owner, "NX", "PX", std::to_string(ttl.count())});
  if (!result.ok() || result.is_error_reply())
    return redis_error("acquire the job's lease", result);
  return result.reply->type == REDIS_REPLY_NIL ? LeaseState::held_by_other : LeaseState::acquired;
}

JobResult<bool> refresh_lease(redis::Connection& redis, std::string_view job_id,
                              std::string_view owner, std::chrono::milliseconds ttl) {
  auto result = redis.command(
      {"EVAL", kRefreshScript, "1", keys::lease(job_id), owner, std::to_string(ttl.count())});
  if (!result.ok() || result.is_error_reply())
    return redis_error("extend the job's lease", result);
  return result.reply->type == REDIS_REPLY_INTEGER && result.reply->integer == 1;
}

JobResult<void> release_lease(redis::Connection& redis, std::string_view job_id,
                              std::string_view owner) {
  auto result = redis.command({"EVAL", kReleaseScript, "1", keys::lease(job_id), owner});
  if (!result.ok() || result.is_error_reply())
    return redis_error("release the job's lease", result);
  return {};
}

}  // namespace headway::worker
