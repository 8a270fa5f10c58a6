#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "redis/connection.hpp"
#include "support/redis_server.hpp"

namespace headway::test {

// Collects every record published on one job's channel, on its own thread
// and connection, until a terminal record. Subscribed when the constructor
// returns.
class ChannelListener {
 public:
  ChannelListener(const RedisServer& redis, const std::string& job_id);
  // Subscribed with `subscribe` (e.g. {"SSUBSCRIBE", channel} on the cluster
  // node serving a shard channel) on a connection to `endpoint`.
  ChannelListener(const redis::Endpoint& endpoint, const std::vector<std::string>& subscribe);
  ~ChannelListener();
  ChannelListener(const ChannelListener&) = delete;
  ChannelListener& operator=(const ChannelListener&) = delete;

  // Waits for the terminal record (or for the read to give up) and returns
  // the records in the order they were published.
  std::vector<boost::json::object> wait();

 private:
  std::unique_ptr<redis::Connection> connection_;
  std::vector<boost::json::object> records_;
  std::thread thread_;
};

}  // namespace headway::test
