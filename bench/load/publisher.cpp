#include "publisher.hpp"

#include "clock.hpp"
#include "core/progress_record.hpp"
#include "headway/stage_plan.hpp"
#include "redis/record_script.hpp"
#include "redis/redis_url.hpp"

namespace headway::load {
namespace {

// What the Tracker stores: records expire after two hours; the events stream
// is capped near 100,000 entries.
constexpr std::int64_t kTtlSeconds = 7200;
constexpr std::size_t kEventsMaxLen = 100000;

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
  auto sha = redis::load_record_script(*connection, error);
  if (!sha)
    return nullptr;
  std::unique_ptr<Publisher> publisher(new Publisher(std::move(connection)));
  publisher->script_sha_ = std::move(*sha);
  return publisher;
}

std::string Publisher::send(const std::string& job_id, std::int64_t seq, JobStatus status,
                            bool stamp, bool queued) {
  // Terminal records also go to the events stream, as the Tracker sends them.
  const bool append_event = is_terminal(status);
  const std::string json = record_json(job_id, seq, status, stamp);
  auto run = redis::run_write_script(
      *connection_,
      {job_id, json, seq, to_string(status), append_event, kTtlSeconds, kEventsMaxLen},
      script_sha_);
  // Inside MULTI Redis answers QUEUED; the script's replies come with EXEC.
  if (queued)
    return run.result.ok() && !run.result.is_error_reply() ? std::string() : run.error();
  if (!run.reply)
    return run.error();
  if (!run.reply->written)
    return "the write script refused seq " + std::to_string(seq) + " (stored " +
           std::to_string(run.reply->seq) + ")";
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
    const auto reply = redis::parse_write_reply(exec.reply->element[i]);
    if (!reply || !reply->written)
      return "a terminal write inside EXEC was refused";
  }
  return {};
}

}  // namespace headway::load
