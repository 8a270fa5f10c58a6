#include "server/api/scrape_metrics.hpp"

#include <charconv>
#include <string_view>

#include "jobs/queue_keys.hpp"
#include "redis/keys.hpp"
#include "server/redis/recorder.hpp"
#include "server/redis/resp_socket.hpp"
#include "server/run_blocking.hpp"

namespace headway::server {
namespace {

// The milliseconds part of a stream entry id ("1764355325250-0"); nullopt
// when it is not one.
std::optional<double> entry_millis(std::string_view id) {
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), ms);
  if (ec != std::errc{} || end == id.data() || (end != id.data() + id.size() && *end != '-'))
    return std::nullopt;
  return static_cast<double>(ms);
}

struct GroupState {
  long long pending = 0;
  std::string last_delivered = "0-0";
};

// The workers' group in an XINFO GROUPS reply (RESP2: each group a flat
// array of field names and values); no group yet: nothing delivered.
GroupState workers_group(const redisReply* reply) {
  GroupState state;
  if (!reply || reply->type != REDIS_REPLY_ARRAY)
    return state;
  for (std::size_t g = 0; g < reply->elements; ++g) {
    const redisReply* group = reply->element[g];
    if (group->type != REDIS_REPLY_ARRAY)
      continue;
    GroupState found;
    bool ours = false;
    for (std::size_t f = 0; f + 1 < group->elements; f += 2) {
      const auto field = reply_text(group->element[f]);
      const redisReply* value = group->element[f + 1];
      if (field == "name")
        ours = reply_text(value) == worker::keys::kWorkersGroup;
      else if (field == "pending" && value->type == REDIS_REPLY_INTEGER)
        found.pending = value->integer;
      else if (field == "last-delivered-id")
        found.last_delivered = std::string(reply_text(value));
    }
    if (ours)
      return found;
  }
  return state;
}

// (Arguments as a named vector: GCC 12 mis-compiles a braced list inside co_await.)
awaitable<redis::Reply> command(Services& services, std::vector<std::string> args) {
  auto [ec, reply] = co_await services.redis.execute(std::move(args));
  if (ec || !reply || reply->type == REDIS_REPLY_ERROR)
    co_return nullptr;
  co_return std::move(reply);
}

// jobs:queue: waiting = entries - those a worker holds; the oldest waiting
// entry is the first after the group's last delivered id, its age measured
// on Redis's clock (TIME), like the id itself.
awaitable<void> refresh_queue(Services& services) {
  const std::string queue(redis::keys::kJobsQueue);
  std::vector<std::string> args{"XLEN", queue};
  auto length = co_await command(services, std::move(args));
  if (!length || length->type != REDIS_REPLY_INTEGER)
    co_return;
  // An error reply (no stream yet: nothing was ever queued) means no group.
  args = {"XINFO", "GROUPS", queue};
  auto groups = co_await command(services, std::move(args));
  const GroupState group = workers_group(groups.get());
  const long long waiting = std::max(0LL, length->integer - group.pending);
  services.metrics.queue_running().Set(static_cast<double>(group.pending));
  services.metrics.queue_waiting().Set(static_cast<double>(waiting));
  if (waiting == 0) {
    services.metrics.queue_oldest_age().Set(0);
    co_return;
  }
  args = {"XRANGE", queue, "(" + group.last_delivered, "+", "COUNT", "1"};
  auto oldest = co_await command(services, std::move(args));
  args = {"TIME"};
  auto time = co_await command(services, std::move(args));
  if (!oldest || oldest->type != REDIS_REPLY_ARRAY || !time || time->type != REDIS_REPLY_ARRAY ||
      time->elements != 2)
    co_return;
  if (oldest->elements == 0 || oldest->element[0]->type != REDIS_REPLY_ARRAY ||
      oldest->element[0]->elements < 1) {
    services.metrics.queue_oldest_age().Set(0);
    co_return;
  }
  const auto entry = entry_millis(reply_text(oldest->element[0]->element[0]));
  const auto seconds = entry_millis(reply_text(time->element[0]));
  const auto micros = entry_millis(reply_text(time->element[1]));
  if (entry && seconds && micros) {
    const double now_ms = *seconds * 1000 + *micros / 1000;
    services.metrics.queue_oldest_age().Set(std::max(0.0, (now_ms - *entry) / 1000));
  }
}

}  // namespace

awaitable<void> refresh_scrape_metrics(Services& services) {
  auto& metrics = services.metrics;
  metrics.redis_up().Set(services.redis.connected() && services.pubsub.connected() &&
                         (!services.recorder || services.recorder->connected()));
  metrics.open_connections().Set(static_cast<double>(services.connections.count()));
  auto ping =
      co_await run_blocking(services.db_pool, [&services] { return services.store.ping(); });
  metrics.db_up().Set(ping.has_value() ? 1 : 0);
  if (services.redis.connected())
    co_await refresh_queue(services);
  metrics.process().refresh();
}

}  // namespace headway::server
