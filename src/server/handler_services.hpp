#pragma once

#include "server/asio_types.hpp"
#include "server/auth/authenticator.hpp"
#include "server/config.hpp"
#include "server/http/open_connections.hpp"
#include "server/metrics/metrics.hpp"
#include "server/redis/redis_commands.hpp"
#include "server/streams/fanout.hpp"
#include "server/streams/record_snapshots.hpp"
#include "server/streams/redis_pubsub.hpp"
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
  // Set once they exist (after the services are made); health checks them.
  worker::JobQueue* job_queue;
  const Recorder* recorder;  // null under --recorder false
};

}  // namespace headway::server
