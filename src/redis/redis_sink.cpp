#include "redis/redis_sink.hpp"

#include <stdexcept>

#include "redis/cluster.hpp"
#include "redis/connection.hpp"
#include "redis/keys.hpp"
#include "redis/record_script.hpp"

namespace headway::redis {
namespace {

using detail::RecordSink;
using detail::WriteOutcome;
using detail::WriteRequest;

// Writes records with the write_record.lua script (one round trip, atomic).
// Connects lazily, so a Redis that is down costs the caller nothing until the
// flusher's next attempt. For a redis+cluster:// URL it writes through a
// ClusterClient with the cluster names (docs/protocol.md, "Redis Cluster"),
// loading the script on whichever master serves the job.
class RedisSink final : public RecordSink {
 public:
  RedisSink(Endpoint endpoint, Connection::Timeouts timeouts, std::int64_t ttl,
            std::size_t events_max_len)
      : endpoint_(std::move(endpoint)),
        timeouts_(timeouts),
        ttl_(ttl),
        events_max_len_(events_max_len) {}

  WriteOutcome write(const WriteRequest& request) override {
    WriteOutcome outcome;
    const RecordScriptCall call{request.job_id, request.record_json,  request.seq,
                                request.status, request.append_event, ttl_,
                                events_max_len_};
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!ensure_connected(request.job_id, outcome.error))
        return outcome;
      auto run = cluster_ ? run_write_script(*cluster_, call, script_sha_)
                          : run_write_script(*connection_, call, script_sha_);
      // The script cache was flushed (SCRIPT FLUSH, a restart without
      // persistence of scripts): load it again and retry once.
      if (run.script_missing()) {
        script_sha_.clear();
        continue;
      }
      if (!run.reply) {
        outcome.error = run.error();
        return outcome;
      }
      outcome.kind = run.reply->written ? WriteOutcome::Kind::written : WriteOutcome::Kind::stale;
      outcome.stored_seq = run.reply->seq;
      outcome.cancel_requested = run.reply->cancel_requested;
      outcome.replaced_invalid = std::move(run.reply->replaced_invalid);
      return outcome;
    }
    outcome.error = "Redis keeps losing the write script";
    return outcome;
  }

  std::optional<bool> cancel_requested(std::string_view job_id) override {
    std::string error;
    if (!ensure_connected(job_id, error))
      return std::nullopt;
    const std::string key = cluster_ ? keys::cluster::cancel(job_id) : keys::cancel(job_id);
    auto result =
        cluster_ ? cluster_->command(key, {"EXISTS", key}) : connection_->command({"EXISTS", key});
    if (!result.ok() || result.reply->type != REDIS_REPLY_INTEGER)
      return std::nullopt;
    return result.reply->integer == 1;
  }

 private:
  // Connected, with the script loaded where `job_id`'s record lives.
  bool ensure_connected(std::string_view job_id, std::string& error) {
    if (endpoint_.is_cluster())
      return ensure_cluster(job_id, error);
    if (connection_ && connection_->broken())
      connection_.reset();
    if (!connection_) {
      connection_ = Connection::open(endpoint_, timeouts_, error);
      if (!connection_)
        return false;
      script_sha_.clear();
    }
    if (script_sha_.empty()) {
      auto sha = load_record_script(*connection_, error);
      if (!sha) {
        connection_.reset();
        return false;
      }
      script_sha_ = std::move(*sha);
    }
    return true;
  }

  // The cluster client keeps its own connections up (see ClusterClient); the
  // script's hash is the same on every node, and a node without the script
  // answers NOSCRIPT, which has write() load it there.
  bool ensure_cluster(std::string_view job_id, std::string& error) {
    if (!cluster_) {
      cluster_ = ClusterClient::open(endpoint_, timeouts_, error);
      if (!cluster_)
        return false;
    }
    if (script_sha_.empty()) {
      auto sha = load_record_script(*cluster_, job_id, error);
      if (!sha)
        return false;
      script_sha_ = std::move(*sha);
    }
    return true;
  }

  Endpoint endpoint_;
  Connection::Timeouts timeouts_;
  std::int64_t ttl_;
  std::size_t events_max_len_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<ClusterClient> cluster_;
  std::string script_sha_;
};

}  // namespace

std::unique_ptr<RecordSink> make_redis_sink(const RedisConfig& config, std::int64_t ttl_seconds,
                                            std::size_t events_max_len) {
  std::string error;
  auto endpoint = parse_redis_url(config.url, error);
  if (!endpoint)
    throw std::invalid_argument("Redis URL: " + error);
  return std::make_unique<RedisSink>(
      *endpoint, Connection::Timeouts{config.connect_timeout, config.command_timeout}, ttl_seconds,
      events_max_len);
}

}  // namespace headway::redis
