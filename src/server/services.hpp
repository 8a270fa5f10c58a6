#pragma once

#include "server/asio_types.hpp"
#include "server/auth.hpp"
#include "server/config.hpp"
#include "server/connections.hpp"
#include "server/fanout.hpp"
#include "server/metrics.hpp"
#include "server/redis_commands.hpp"
#include "server/redis_pubsub.hpp"
#include "server/snapshots.hpp"
#include "store/job_store.hpp"

namespace headway::worker {
class JobQueue;
}

namespace headway::server {

class Recorder;

// The long-lived parts a request handler may use; owned by the Server.
struct Services {
  const ServerConfig& config;
  Metrics& metrics;
  store::JobStore& store;
  asio::thread_pool& db_pool;
  RedisCommands& redis;
  PubSubConnections& pubsub;
  Snapshots& snapshots;
  Fanout& fanout;
  Connections& connections;
  Authenticator& auth;
  // Set once they exist (after the routes are added); health checks them.
  worker::JobQueue* job_queue;
  const Recorder* recorder;  // null under --recorder false
};

}  // namespace headway::server
