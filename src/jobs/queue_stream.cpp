#include "jobs/queue_stream.hpp"

#include <unordered_map>

#include "jobs/queue_keys.hpp"
#include "jobs/record_writer.hpp"
#include "redis/keys.hpp"

namespace headway::worker {

namespace {

std::string_view text_of(const redisReply* reply) {
  return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
             ? std::string_view(reply->str, reply->len)
             : std::string_view();
}

// [[id, [field, value, ...]], ...]; entries whose fields are gone (nil) are
// kept with an empty job id so the caller can acknowledge them.
std::vector<QueueEntry> parse_entries(const redisReply* list) {
  std::vector<QueueEntry> entries;
  if (list == nullptr || list->type != REDIS_REPLY_ARRAY)
    return entries;
  for (std::size_t i = 0; i < list->elements; ++i) {
    const redisReply* entry = list->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
      continue;
    QueueEntry parsed;
    parsed.entry_id = std::string(text_of(entry->element[0]));
    const redisReply* fields = entry->element[1];
    if (fields->type == REDIS_REPLY_ARRAY) {
      for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
        const auto name = text_of(fields->element[f]);
        const auto value = text_of(fields->element[f + 1]);
        if (name == "job_id")
          parsed.job_id = std::string(value);
        else if (name == "type")
          parsed.type = std::string(value);
      }
    }
    entries.push_back(std::move(parsed));
  }
  return entries;
}

// XINFO CONSUMERS gives each consumer as a flat field/value list.
constexpr std::string_view kRemoveIdleConsumers = R"lua(
local removed = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if (ARGV[3] == '' or info['name'] == ARGV[3]) and info['pending'] == 0
      and info['idle'] > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
)lua";

}  // namespace

JobResult<void> ensure_consumer_group(redis::Connection& redis) {
  auto result = redis.command(
      {"XGROUP", "CREATE", redis::keys::kJobsQueue, keys::kWorkersGroup, "0", "MKSTREAM"});
  if (result.ok() && result.is_error_reply() && result.error_reply().starts_with("BUSYGROUP"))
    return {};
  if (!result.ok() || result.is_error_reply())
    return redis_error("create the consumer group", result);
  return {};
}

JobResult<std::vector<QueueEntry>> read_new_entries(redis::Connection& redis,
                                                    std::string_view consumer, int count,
                                                    std::chrono::milliseconds block) {
  auto result = redis.command({"XREADGROUP", "GROUP", keys::kWorkersGroup, consumer, "COUNT",
                               std::to_string(count), "BLOCK", std::to_string(block.count()),
                               "STREAMS", redis::keys::kJobsQueue, ">"});
  if (!result.ok() || result.is_error_reply())
    return redis_error("read jobs:queue", result);
  const redisReply* reply = result.reply.get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0)
    return std::vector<QueueEntry>();  // nil: BLOCK timed out
  const redisReply* stream = reply->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
    return std::vector<QueueEntry>();
  return parse_entries(stream->element[1]);
}

JobResult<std::vector<QueueEntry>> claim_idle_entries(redis::Connection& redis,
                                                      std::string_view consumer,
                                                      std::chrono::milliseconds min_idle, int count,
                                                      std::string& cursor) {
  auto result =
      redis.command({"XAUTOCLAIM", redis::keys::kJobsQueue, keys::kWorkersGroup, consumer,
                     std::to_string(min_idle.count()), cursor, "COUNT", std::to_string(count)});
  if (!result.ok() || result.is_error_reply())
    return redis_error("reclaim idle jobs", result);
  const redisReply* reply = result.reply.get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
    return std::vector<QueueEntry>();
  cursor = std::string(text_of(reply->element[0]));
  if (cursor.empty())
    cursor = "0-0";
  return parse_entries(reply->element[1]);
}

JobResult<void> touch_entry(redis::Connection& redis, std::string_view consumer,
                            std::string_view entry_id) {
  auto result = redis.command(
      {"XCLAIM", redis::keys::kJobsQueue, keys::kWorkersGroup, consumer, "0", entry_id, "JUSTID"});
  if (!result.ok() || result.is_error_reply())
    return redis_error("refresh the queue entry", result);
  return {};
}

JobResult<void> finish_entry(redis::Connection& redis, std::string_view entry_id) {
  auto ack = redis.command({"XACK", redis::keys::kJobsQueue, keys::kWorkersGroup, entry_id});
  if (!ack.ok() || ack.is_error_reply())
    return redis_error("acknowledge the queue entry", ack);
  auto removed = redis.command({"XDEL", redis::keys::kJobsQueue, entry_id});
  if (!removed.ok() || removed.is_error_reply())
    return redis_error("delete the queue entry", removed);
  return {};
}

JobResult<void> add_queue_entry(redis::Connection& redis, std::string_view job_id,
                                std::string_view type) {
  auto result =
      redis.command({"XADD", redis::keys::kJobsQueue, "*", "job_id", job_id, "type", type});
  if (!result.ok() || result.is_error_reply())
    return redis_error("add the job to " + std::string(redis::keys::kJobsQueue), result);
  return {};
}

JobResult<std::vector<std::pair<std::string, QueuedEntry>>> list_queue(redis::Connection& redis,
                                                                       int page) {
  std::vector<std::pair<std::string, QueuedEntry>> entries;
  std::unordered_map<std::string, std::size_t> by_entry_id;
  const std::string count = std::to_string(page);
  // Exclusive ranges ("(" + id) continue after the last entry of a page.
  for (std::string from = "-";;) {
    auto result = redis.command({"XRANGE", redis::keys::kJobsQueue, from, "+", "COUNT", count});
    if (!result.ok() || result.is_error_reply())
      return redis_error("read jobs:queue", result);
    auto parsed = parse_entries(result.reply.get());
    for (auto& entry : parsed) {
      by_entry_id.emplace(entry.entry_id, entries.size());
      entries.emplace_back(std::move(entry.job_id), QueuedEntry{entry.entry_id});
    }
    if (parsed.size() < static_cast<std::size_t>(page))
      break;
    from = "(" + parsed.back().entry_id;
  }
  for (std::string from = "-";;) {
    auto result =
        redis.command({"XPENDING", redis::keys::kJobsQueue, keys::kWorkersGroup, from, "+", count});
    if (result.ok() && result.is_error_reply() && result.error_reply().starts_with("NOGROUP"))
      break;
    if (!result.ok() || result.is_error_reply())
      return redis_error("read the pending entries of jobs:queue", result);
    const redisReply* reply = result.reply.get();
    if (reply->type != REDIS_REPLY_ARRAY)
      break;
    // [[id, consumer, idle ms, deliveries], ...]
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const redisReply* item = reply->element[i];
      if (item->type != REDIS_REPLY_ARRAY || item->elements < 3)
        continue;
      auto found = by_entry_id.find(std::string(text_of(item->element[0])));
      if (found == by_entry_id.end())
        continue;
      auto& entry = entries[found->second].second;
      entry.pending = true;
      entry.idle = std::chrono::milliseconds(item->element[2]->integer);
    }
    if (reply->elements < static_cast<std::size_t>(page))
      break;
    from = "(" + std::string(text_of(reply->element[reply->elements - 1]->element[0]));
  }
  return entries;
}

JobResult<std::vector<std::string>> remove_idle_consumers(redis::Connection& redis,
                                                          std::chrono::milliseconds min_idle,
                                                          std::string_view only) {
  auto result = redis.command({"EVAL", kRemoveIdleConsumers, "1", redis::keys::kJobsQueue,
                               keys::kWorkersGroup, std::to_string(min_idle.count()), only});
  if (!result.ok() || result.is_error_reply())
    return redis_error("remove idle consumers", result);
  std::vector<std::string> removed;
  const redisReply* reply = result.reply.get();
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < reply->elements; ++i)
      removed.emplace_back(text_of(reply->element[i]));
  }
  return removed;
}

}  // namespace headway::worker
