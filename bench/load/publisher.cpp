#include "publisher.hpp"

#include "clock.hpp"
#include "core/progress_record.hpp"
#include "headway/stage_plan.hpp"
#include "redis/keys.hpp"
#include "redis/redis_url.hpp"
#include "redis/scripts.hpp"

namespace headway::load {
namespace {

// What the Tracker stores: records expire after two hours; the events stream
// is capped near 100,000 entries.
constexpr std::string_view kTtlSeconds = "7200";
constexpr std::string_view kEventsMaxLen = "100000";

std::string record_json(const std::string& job_id, std::int64_t seq, JobStatus status, bool stamp) {
  static const StagePlan plan = StagePlan::reference();
  ProgressRecord record;
  record.job_id = job_id;
  record.seq = seq;
  record.status = status;
  record.stage = "cpsat_solving";
  record.stages = plan.stages();
  record.started_at = 1764355325.25;
  record.last_updated = record.started_at + static_cast<double>(seq);
  const bool done = is_terminal(status);
  record.overall_progress = done ? 100 : round2(15 + 60 * static_cast<double>(seq % 1000) / 1000);
  record.stage_progress = done ? 100 : round2(100 * static_cast<double>(seq % 1000) / 1000);
  record.eta_seconds = done ? 0 : 120;
  record.metadata_json = "{\"completed_items\":" + std::to_string(seq) + ",\"total_items\":216";
  // Stamped last, so the stamp excludes the building of the record.
  if (stamp)
    record.metadata_json += "," + std::string(kSentKey) + std::to_string(now_ns());
  record.metadata_json += "}";
  return to_json(record);
}

}  // namespace

std::unique_ptr<Publisher> Publisher::open(const std::string& redis_url, std::string& error) {
  auto endpoint = redis::parse_redis_url(redis_url, error);
  if (!endpoint)
    return nullptr;
  if (!endpoint->is_unix() && endpoint->host != "127.0.0.1" && endpoint->host != "localhost") {
    error = "the load tool only talks to a loopback Redis";
    return nullptr;
  }
  auto connection = redis::Connection::open(*endpoint, {}, error);
  if (!connection)
    return nullptr;
  auto loaded = connection->command({"SCRIPT", "LOAD", redis::scripts::kWriteRecord});
  if (!loaded.ok() || loaded.reply->type != REDIS_REPLY_STRING) {
    error =
        "SCRIPT LOAD failed: " + (loaded.ok() ? std::string(loaded.error_reply()) : loaded.error);
    return nullptr;
  }
  std::unique_ptr<Publisher> publisher(new Publisher(std::move(connection)));
  publisher->script_sha_.assign(loaded.reply->str, loaded.reply->len);
  return publisher;
}

std::string Publisher::send(const std::string& job_id, std::int64_t seq, JobStatus status,
                            bool stamp, bool queued) {
  const std::string record_key = redis::keys::record(job_id);
  const std::string cancel_key = redis::keys::cancel(job_id);
  const std::string seq_text = std::to_string(seq);
  const std::string status_text(to_string(status));
  // Terminal records also go to the events stream, as the Tracker sends them.
  const bool append_event = is_terminal(status);
  const std::string json = record_json(job_id, seq, status, stamp);
  auto result = connection_->command(
      {"EVALSHA", script_sha_, "3", record_key, redis::keys::kEventsStream, cancel_key, json,
       seq_text, kTtlSeconds, append_event ? "1" : "0", kEventsMaxLen, job_id, status_text});
  if (!result.ok())
    return "Redis write failed: " + result.error;
  if (result.is_error_reply())
    return "Redis refused the write: " + std::string(result.error_reply());
  if (queued)
    return {};
  const redisReply* reply = result.reply.get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
    return "unexpected reply from the write script";
  if (reply->element[0]->integer != 1)
    return "the write script refused seq " + seq_text + " (stored " +
           std::to_string(reply->element[1]->integer) + ")";
  return {};
}

std::string Publisher::write(const std::string& job_id, std::int64_t seq, JobStatus status,
                             bool stamp) {
  return send(job_id, seq, status, stamp, false);
}

std::string Publisher::complete_all(const std::vector<std::string>& job_ids, std::int64_t seq,
                                    std::int64_t& exec_sent_ns) {
  auto multi = connection_->command({"MULTI"});
  if (!multi.ok() || multi.is_error_reply())
    return "MULTI failed";
  for (const auto& job_id : job_ids) {
    if (auto error = send(job_id, seq, JobStatus::completed, true, true); !error.empty())
      return error;
  }
  exec_sent_ns = now_ns();
  auto exec = connection_->command({"EXEC"});
  if (!exec.ok())
    return "EXEC failed: " + exec.error;
  if (exec.reply->type != REDIS_REPLY_ARRAY || exec.reply->elements != job_ids.size())
    return "EXEC did not run every write";
  for (std::size_t i = 0; i < exec.reply->elements; ++i) {
    const redisReply* reply = exec.reply->element[i];
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element[0]->integer != 1)
      return "a terminal write inside EXEC was refused";
  }
  return {};
}

}  // namespace headway::load
