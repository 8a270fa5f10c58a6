#include "server/redis/recorder.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/progress_record.hpp"
#include "redis/keys.hpp"
#include "server/metrics/metrics.hpp"
#include "server/redis/resp_socket.hpp"
#include "store/record_update.hpp"

namespace headway::server {
namespace {

constexpr const char* kBatch = "100";

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
    return "headway";
  return name;
}

}  // namespace

Recorder::Recorder(redis::Endpoint endpoint, store::JobStore& store, const ServerConfig& config,
                   Metrics& metrics)
    : endpoint_(std::move(endpoint)),
      store_(store),
      config_(config),
      metrics_(metrics),
      consumer_(config.recorder_consumer.empty() ? host_name() : config.recorder_consumer) {}

Recorder::~Recorder() {
  stop();
}

void Recorder::start() {
  thread_ = std::thread([this] { run(); });
}

void Recorder::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void Recorder::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

bool Recorder::connect() {
  std::string error;
  // BLOCK waits 1 s, so a command may take that long plus the usual timeout.
  redis::Connection::Timeouts timeouts{config_.redis_command_timeout,
                                       config_.redis_command_timeout + std::chrono::seconds(1)};
  connection_ = redis::Connection::open(endpoint_, timeouts, error);
  if (!connection_) {
    spdlog::debug("recorder: {}", error);
    return false;
  }
  return ensure_group();
}

bool Recorder::ensure_group() {
  auto created = connection_->command(
      {"XGROUP", "CREATE", redis::keys::kEventsStream, config_.recorder_group, "0", "MKSTREAM"});
  if (!created.ok())
    return false;
  if (created.is_error_reply() && !created.error_reply().starts_with("BUSYGROUP")) {
    spdlog::warn("recorder: XGROUP CREATE failed: {}", created.error_reply());
    return false;
  }
  return true;
}

void Recorder::run() {
  auto delay = config_.redis_retry_min;
  std::uint64_t reconnects_seen = 0;
  while (!stopping_) {
    const bool fresh = !connection_ || connection_->broken();
    if (fresh && !connect()) {
      connected_ = false;
      connection_.reset();
      pause(delay);
      delay = std::min(delay * 2, config_.redis_retry_max);
      continue;
    }
    connected_ = true;
    // A new connection, opened here or by the connection itself because Redis
    // had closed the old one (a restart) between two commands.
    if (fresh || connection_->reconnects() != reconnects_seen) {
      reconnects_seen = connection_->reconnects();
      if (!fresh && !ensure_group())
        continue;
      delay = config_.redis_retry_min;
      spdlog::info("recorder: reading {} as {}/{}", redis::keys::kEventsStream,
                   config_.recorder_group, consumer_);
      // Our own entries left pending by a previous run (or a failed round),
      // then entries a vanished consumer left behind.
      while (!stopping_ && read_round("0") == Round::progressed) {
      }
      claim_abandoned();
    }
    const Round round = read_round(">");
    connected_ = !connection_->broken();
    if (round == Round::failed) {
      // A database failure leaves entries pending; re-read them after a pause.
      pause(delay);
      delay = std::min(delay * 2, config_.redis_retry_max);
      if (connection_ && !connection_->broken()) {
        while (!stopping_ && read_round("0") == Round::progressed) {
        }
      }
    } else {
      delay = config_.redis_retry_min;
    }
  }
}

Recorder::Round Recorder::read_round(const char* from_id) {
  const bool blocking = std::string_view(from_id) == ">";
  std::vector<std::string_view> args{"XREADGROUP", "GROUP", config_.recorder_group,
                                     consumer_,    "COUNT", kBatch};
  if (blocking) {
    args.push_back("BLOCK");
    args.push_back("1000");
  }
  args.insert(args.end(), {"STREAMS", redis::keys::kEventsStream, from_id});
  auto result = connection_->command(args);
  if (!result.ok())
    return Round::failed;
  if (result.is_error_reply()) {
    // NOGROUP after Redis lost its data: create the group again.
    if (result.error_reply().starts_with("NOGROUP"))
      ensure_group();
    return Round::failed;
  }
  const redisReply* reply = result.reply.get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0)
    return Round::idle;
  // [[stream, [[id, [field, value, ...]], ...]]]
  const redisReply* stream = reply->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
    return Round::idle;
  return handle_entries(stream->element[1]);
}

Recorder::Round Recorder::claim_abandoned() {
  auto result =
      connection_->command({"XAUTOCLAIM", redis::keys::kEventsStream, config_.recorder_group,
                            consumer_, "60000", "0-0", "COUNT", kBatch});
  if (!result.ok() || result.is_error_reply() || result.reply->type != REDIS_REPLY_ARRAY ||
      result.reply->elements < 2)
    return Round::failed;
  return handle_entries(result.reply->element[1]);
}

Recorder::Round Recorder::handle_entries(const redisReply* entries) {
  if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
    return Round::idle;
  std::vector<std::string> acked;
  Round round = Round::progressed;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    std::string id;
    if (!fold_entry(entries->element[i], id)) {
      round = Round::failed;
      break;
    }
    acked.push_back(std::move(id));
  }
  if (!acked.empty()) {
    std::vector<std::string_view> args{"XACK", redis::keys::kEventsStream, config_.recorder_group};
    args.insert(args.end(), acked.begin(), acked.end());
    auto result = connection_->command(args);
    if (!result.ok() || result.is_error_reply())
      return Round::failed;
  }
  return round;
}

// Returns false when the entry must stay pending (the database failed).
bool Recorder::fold_entry(const redisReply* entry, std::string& id) {
  if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
    metrics_.recorder_events("malformed").Increment();
    return true;  // a deleted entry shows as [id, nil]; nothing to fold
  }
  id = std::string(reply_text(entry->element[0]));
  const redisReply* fields = entry->element[1];
  std::string_view record_json;
  std::string_view entry_job_id;
  if (fields->type == REDIS_REPLY_ARRAY) {
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      const std::string_view field = reply_text(fields->element[f]);
      if (field == "record")
        record_json = reply_text(fields->element[f + 1]);
      else if (field == "job_id")
        entry_job_id = reply_text(fields->element[f + 1]);
    }
  }
  auto record = parse_progress_record(record_json);
  // An entry whose record names another job than the entry does was not
  // written by write_record.lua; it changes no row.
  if (!record || record->job_id != entry_job_id) {
    metrics_.recorder_events("malformed").Increment();
    return true;
  }
  auto outcome = store_.apply_record(store::to_store_update(*record));
  if (!outcome) {
    metrics_.recorder_events("db_error").Increment();
    spdlog::warn("recorder: cannot fold {} seq {}: {}", record->job_id, record->seq,
                 outcome.error().message);
    return outcome.error().code == store::ErrorCode::invalid_argument;  // never retry bad data
  }
  switch (*outcome) {
    case store::ApplyOutcome::applied:
      metrics_.recorder_events("applied").Increment();
      if (is_terminal(record->status))
        metrics_.job_finished(record->status);
      break;
    case store::ApplyOutcome::stale:
      metrics_.recorder_events("stale").Increment();
      break;
    case store::ApplyOutcome::unknown_job:
      metrics_.recorder_events("unknown_job").Increment();
      break;
  }
  return true;
}

}  // namespace headway::server
