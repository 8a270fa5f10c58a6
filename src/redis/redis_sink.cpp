#include "redis/redis_sink.hpp"

#include <stdexcept>

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
// flusher's next attempt.
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
      if (!ensure_connected(outcome.error))
        return outcome;
      auto run = run_write_script(*connection_, call, script_sha_);
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
    if (!ensure_connected(error))
      return std::nullopt;
    auto result = connection_->command({"EXISTS", keys::cancel(job_id)});
    if (!result.ok() || result.reply->type != REDIS_REPLY_INTEGER)
      return std::nullopt;
    return result.reply->integer == 1;
  }

 private:
  bool ensure_connected(std::string& error) {
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

  Endpoint endpoint_;
  Connection::Timeouts timeouts_;
  std::int64_t ttl_;
  std::size_t events_max_len_;
  std::unique_ptr<Connection> connection_;
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
