#include "server/streams/record_snapshots.hpp"

#include <spdlog/spdlog.h>

#include "redis/keys.hpp"
#include "server/metrics/metrics.hpp"
#include "server/redis/redis_commands.hpp"
#include "server/run_blocking.hpp"

namespace headway::server {

awaitable<Snapshots::Read> Snapshots::from_redis(const std::string& job_id) {
  std::vector<std::string> command{"GET", redis::keys::record(job_id)};
  auto [ec, reply] = co_await redis_.execute(std::move(command));
  Read read;
  if (ec || !reply || reply->type == REDIS_REPLY_ERROR) {
    read.outcome = Outcome::unavailable;
    co_return read;
  }
  if (reply->type == REDIS_REPLY_STRING) {
    RecordVerdict verdict = RecordVerdict::valid;
    if (auto update = parse_update(reply_text(reply.get()), job_id, verdict)) {
      read.outcome = Outcome::found;
      read.update = std::move(update);
      co_return read;
    }
    metrics_.record_dropped(verdict);
    spdlog::warn("progress:job:{} holds {}; treated as missing", job_id,
                 verdict == RecordVerdict::other_job ? "another job's record"
                                                     : "a value that is not a valid record");
  }
  metrics_.redis_misses().Increment();
  read.outcome = Outcome::missing;
  co_return read;
}

awaitable<store::Result<store::Job>> Snapshots::job_row(const std::string& job_id) {
  // A named callable: GCC 12 destroys non-trivial temporaries of a co_await
  // expression twice.
  auto get = [this, &job_id] { return store_.get_job(job_id); };
  auto row = co_await run_blocking(db_pool_, get);
  if (!row && row.error().code != store::ErrorCode::not_found) {
    metrics_.db_errors().Increment();
    spdlog::warn("job table: cannot read job {}: {}", job_id, row.error().message);
  }
  co_return row;
}

awaitable<Snapshots::Read> Snapshots::from_database(const std::string& job_id) {
  auto row = co_await job_row(job_id);
  Read read;
  if (row) {
    metrics_.db_fallbacks().Increment();
    read.outcome = Outcome::found;
    read.update = synthesize_update(*row);
  } else {
    read.outcome =
        row.error().code == store::ErrorCode::not_found ? Outcome::missing : Outcome::unavailable;
  }
  co_return read;
}

}  // namespace headway::server
