#include <stdexcept>

#include "redis/connection.hpp"
#include "redis/keys.hpp"
#include "redis/scripts.hpp"
#include "redis/write_reply.hpp"
#include "tracker/record_sink.hpp"

namespace headway::detail {
namespace {

// Writes records with the write_record.lua script (one round trip, atomic).
// Connects lazily, so a Redis that is down costs the caller nothing until the
// flusher's next attempt.
class RedisSink final : public RecordSink {
 public:
  RedisSink(redis::Endpoint endpoint, redis::Connection::Timeouts timeouts, std::int64_t ttl,
            std::size_t events_max_len)
      : endpoint_(std::move(endpoint)),
        timeouts_(timeouts),
        ttl_(std::to_string(ttl)),
        max_len_(std::to_string(events_max_len)) {}

  WriteOutcome write(const WriteRequest& request) override {
    WriteOutcome outcome;
    const std::string record_key = redis::keys::record(request.job_id);
    const std::string cancel_key = redis::keys::cancel(request.job_id);
    const std::string seq = std::to_string(request.seq);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!ensure_connected(outcome.error))
        return outcome;
      auto result = connection_->command(
          {"EVALSHA", script_sha_, "3", record_key, redis::keys::kEventsStream, cancel_key,
           request.record_json, seq, ttl_, request.append_event ? "1" : "0", max_len_,
           request.job_id, request.status});
      if (!result.ok()) {
        outcome.error = "Redis write failed: " + result.error;
        return outcome;
      }
      if (result.is_error_reply()) {
        // NOSCRIPT: the script cache was flushed (SCRIPT FLUSH, a restart
        // without persistence of scripts); load it again and retry once.
        if (result.error_reply().starts_with("NOSCRIPT")) {
          script_sha_.clear();
          continue;
        }
        outcome.error = "Redis refused the write: " + std::string(result.error_reply());
        return outcome;
      }
      auto reply = redis::parse_write_reply(result.reply.get());
      if (!reply) {
        outcome.error = "unexpected reply from the write script";
        return outcome;
      }
      outcome.kind = reply->written ? WriteOutcome::Kind::written : WriteOutcome::Kind::stale;
      outcome.stored_seq = reply->seq;
      outcome.cancel_requested = reply->cancel_requested;
      outcome.replaced_invalid = std::move(reply->replaced_invalid);
      return outcome;
    }
    outcome.error = "Redis keeps losing the write script";
    return outcome;
  }

  std::optional<bool> cancel_requested(std::string_view job_id) override {
    std::string error;
    if (!ensure_connected(error))
      return std::nullopt;
    auto result = connection_->command({"EXISTS", redis::keys::cancel(job_id)});
    if (!result.ok() || result.reply->type != REDIS_REPLY_INTEGER)
      return std::nullopt;
    return result.reply->integer == 1;
  }

 private:
  bool ensure_connected(std::string& error) {
    if (connection_ && connection_->broken())
      connection_.reset();
    if (!connection_) {
      connection_ = redis::Connection::open(endpoint_, timeouts_, error);
      if (!connection_)
        return false;
      script_sha_.clear();
    }
    if (script_sha_.empty()) {
      auto result = connection_->command({"SCRIPT", "LOAD", redis::scripts::kWriteRecord});
      if (!result.ok() || result.reply->type != REDIS_REPLY_STRING) {
        error = "cannot load the write script: " +
                (result.ok() ? std::string(result.error_reply()) : result.error);
        connection_.reset();
        return false;
      }
      script_sha_.assign(result.reply->str, result.reply->len);
    }
    return true;
  }

  redis::Endpoint endpoint_;
  redis::Connection::Timeouts timeouts_;
  std::string ttl_;
  std::string max_len_;
  std::unique_ptr<redis::Connection> connection_;
  std::string script_sha_;
};

}  // namespace

std::unique_ptr<RecordSink> make_redis_sink(const RedisConfig& config, std::int64_t ttl_seconds,
                                            std::size_t events_max_len) {
  std::string error;
  auto endpoint = redis::parse_redis_url(config.url, error);
  if (!endpoint)
    throw std::invalid_argument("Redis URL: " + error);
  return std::make_unique<RedisSink>(
      *endpoint, redis::Connection::Timeouts{config.connect_timeout, config.command_timeout},
      ttl_seconds, events_max_len);
}

}  // namespace headway::detail
