#include "jobs/lease.hpp"

#include "jobs/queue_keys.hpp"
#include "jobs/record_writer.hpp"
#include "redis/keys.hpp"

namespace headway::worker {

namespace {

// Compare-and-act in one step, so a worker never extends, takes or deletes a
// lease that another worker took in between. A missing lease is taken again
// only while the stored record (if any) is this run's: not terminal, and
// `queued` (no run has written yet) or of the same attempt (ARGV[3]; 0 while
// the run has not counted its attempt yet: any). Returns 1 extended, 2
// retaken, 0 lost.
constexpr const char* kRenewScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
local stored = redis.call('GET', KEYS[2])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if ok and type(record) == 'table' then
    local status = record.status
    if status == 'completed' or status == 'failed' or status == 'cancelled' then return 0 end
    local attempt = tonumber(ARGV[3])
    if attempt ~= 0 and status ~= 'queued' and type(record.attempt) == 'number'
        and record.attempt ~= attempt then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 2)lua";

constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0)lua";

constexpr const char* kHoldLockScript = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
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

JobResult<LeaseRenewal> renew_lease(redis::Connection& redis, std::string_view job_id,
                                    std::string_view owner, std::chrono::milliseconds ttl,
                                    std::int64_t attempt) {
  auto result =
      redis.command({"EVAL", kRenewScript, "2", keys::lease(job_id), redis::keys::record(job_id),
                     owner, std::to_string(ttl.count()), std::to_string(attempt)});
  if (!result.ok() || result.is_error_reply())
    return redis_error("extend the job's lease", result);
  if (result.reply->type != REDIS_REPLY_INTEGER)
    return JobError{JobError::Code::internal, {}, "unexpected reply from the lease script"};
  switch (result.reply->integer) {
    case 1:
      return LeaseRenewal::extended;
    case 2:
      return LeaseRenewal::retaken;
    default:
      return LeaseRenewal::lost;
  }
}

JobResult<void> release_lease(redis::Connection& redis, std::string_view job_id,
                              std::string_view owner) {
  return release_lock(redis, keys::lease(job_id), owner);
}

JobResult<void> release_lock(redis::Connection& redis, std::string_view key,
                             std::string_view owner) {
  auto result = redis.command({"EVAL", kReleaseScript, "1", key, owner});
  if (!result.ok() || result.is_error_reply())
    return redis_error("release " + std::string(key), result);
  return {};
}

JobResult<bool> hold_lock(redis::Connection& redis, std::string_view key, std::string_view owner,
                          std::chrono::milliseconds ttl) {
  auto result =
      redis.command({"EVAL", kHoldLockScript, "1", key, owner, std::to_string(ttl.count())});
  if (!result.ok() || result.is_error_reply())
    return redis_error("take the lock " + std::string(key), result);
  return result.reply->type == REDIS_REPLY_INTEGER && result.reply->integer == 1;
}

}  // namespace headway::worker
