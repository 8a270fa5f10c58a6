#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/connection.hpp"
#include "support/process.hpp"

namespace headway::test {

// A real Redis Cluster private to one test: six redis-server nodes on free
// loopback ports (each with its own cluster bus port), joined by
// `redis-cli --cluster create` as three masters with one replica each, and
// awaited until every node reports cluster_state:ok and every replica is in
// sync with its master. Each node has its own
// data directory; all are killed and removed on destruction. Fails the test
// (throws) if the cluster cannot be formed: a missing redis-server or
// redis-cli is an error, never a skip. Not thread-safe.
class RedisCluster {
 public:
  static constexpr std::size_t kNodes = 6;

  RedisCluster();
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // Every node's client port, in start order.
  std::vector<int> ports() const;
  // redis+cluster://127.0.0.1:p1,127.0.0.1:p2,... naming every node.
  std::string url() const;

  // SIGKILL and wait: the abrupt death of the node on `port`. Its replica
  // (or, for a replica, nothing) takes over once the others notice, after the
  // 2 s node timeout.
  void kill(int port);

  // Runs one command on a fresh connection to the node on `port`; throws on a
  // connection error (an error reply is returned, not thrown).
  redis::CommandResult command(int port, const std::vector<std::string_view>& args) const;
  // The client port of the master serving `slot` now, as the node on `asked`
  // (the first running node when 0) sees it; throws when it cannot say.
  int master_of_slot(int slot, int asked = 0) const;
  // The client ports of the masters, ordered by the first slot they serve.
  std::vector<int> master_ports() const;
  // Whether every running node answers cluster_state:ok, and every running
  // replica has its link to its master up.
  bool healthy() const;

 private:
  struct Node {
    int port = 0;
    int bus_port = 0;
    TempDir dir;
    ChildProcess process;
  };
  bool start_node(Node& node);
  int running_port() const;

  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace headway::test
