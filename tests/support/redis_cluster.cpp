#include "support/redis_cluster.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>

namespace headway::test {
namespace {

// A free loopback port not in `taken`, which it joins.
int fresh_port(std::set<int>& taken) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = free_loopback_port();
    if (taken.insert(port).second)
      return port;
  }
  throw std::runtime_error("no free loopback port left");
}

}  // namespace

RedisCluster::RedisCluster() {
  std::set<int> taken;
  for (std::size_t i = 0; i < kNodes; ++i) {
    auto node = std::make_unique<Node>();
    bool started = false;
    // A port free a moment ago may be taken by the time the node binds it.
    for (int attempt = 0; attempt < 5 && !started; ++attempt) {
      node->port = fresh_port(taken);
      node->bus_port = fresh_port(taken);
      started = start_node(*node);
    }
    if (!started)
      throw std::runtime_error("cannot start a cluster node (is redis-server installed?); see " +
                               (node->dir.path() / "redis.log").string());
    nodes_.push_back(std::move(node));
  }
  std::vector<std::string> create{"redis-cli", "--cluster", "create"};
  for (const auto& node : nodes_)
    create.push_back("127.0.0.1:" + std::to_string(node->port));
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  const auto created = run_command(create);
  if (created.status != 0)
    throw std::runtime_error("redis-cli --cluster create failed: " + created.out + created.err);
  // Bounded: eventually() gives up after its timeout.
  if (!eventually([this] { return healthy(); }))
    throw std::runtime_error("the cluster never reached cluster_state:ok on every node");
}

RedisCluster::~RedisCluster() {
  for (auto& node : nodes_) {
    if (node->process.running()) {
      node->process.signal(SIGKILL);
      node->process.wait();
    }
  }
}

bool RedisCluster::start_node(Node& node) {
  const std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(node.port), "--cluster-port",
      std::to_string(node.bus_port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
      "--cluster-config-file", (node.dir.path() / "nodes.conf").string(), "--cluster-node-timeout",
      "2000", "--save", "", "--appendonly", "no",
      // A replica's first sync starts at once.
      "--repl-diskless-sync-delay", "0", "--dir", node.dir.path().string()};
  node.process = ChildProcess::spawn(argv, node.dir.path() / "redis.log");
  const bool ready = eventually([&] {
    if (!node.process.running() || node.process.poll())
      return true;  // exited: stop waiting
    redis::Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = node.port;
    std::string error;
    auto connection = redis::Connection::open(endpoint, {}, error);
    if (!connection)
      return false;
    auto pong = connection->command({"PING"});
    return pong.ok() && !pong.is_error_reply();
  });
  return ready && node.process.running();
}

void RedisCluster::kill(int port) {
  for (auto& node : nodes_) {
    if (node->port == port && node->process.running()) {
      node->process.signal(SIGKILL);
      node->process.wait();
    }
  }
}

int RedisCluster::running_port() const {
  for (const auto& node : nodes_) {
    if (node->process.running())
      return node->port;
  }
  throw std::runtime_error("no cluster node is running");
}

std::vector<int> RedisCluster::ports() const {
  std::vector<int> out;
  for (const auto& node : nodes_)
    out.push_back(node->port);
  return out;
}

std::string RedisCluster::url() const {
  std::string out = "redis+cluster://";
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    out += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(nodes_[i]->port);
  return out;
}

redis::CommandResult RedisCluster::command(int port,
                                           const std::vector<std::string_view>& args) const {
  redis::Endpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port;
  std::string error;
  auto connection = redis::Connection::open(endpoint, {}, error);
  if (!connection)
    throw std::runtime_error(error);
  auto result = connection->command(args);
  if (!result.ok())
    throw std::runtime_error(result.error);
  return result;
}

bool RedisCluster::healthy() const {
  return std::all_of(nodes_.begin(), nodes_.end(), [this](const auto& node) {
    if (!node->process.running())
      return true;
    try {
      const auto info = command(node->port, {"CLUSTER", "INFO"});
      if (redis::reply_text(info.reply.get()).find("cluster_state:ok") == std::string::npos)
        return false;
      // A replica that never completed a sync with its master refuses to
      // take over from it (its data counts as too old), so a replica must
      // have its link up too.
      const auto replication =
          redis::reply_text(command(node->port, {"INFO", "replication"}).reply.get());
      return replication.find("role:slave") == std::string::npos ||
             replication.find("master_link_status:up") != std::string::npos;
    } catch (const std::runtime_error&) {
      return false;
    }
  });
}

int RedisCluster::master_of_slot(int slot, int asked) const {
  const auto slots = command(asked ? asked : running_port(), {"CLUSTER", "SLOTS"});
  const redisReply* ranges = slots.reply.get();
  if (ranges->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < ranges->elements; ++i) {
      const redisReply* range = ranges->element[i];
      if (range->elements >= 3 && range->element[0]->integer <= slot &&
          slot <= range->element[1]->integer)
        return static_cast<int>(range->element[2]->element[1]->integer);
    }
  }
  throw std::runtime_error("no master serves slot " + std::to_string(slot));
}

std::vector<int> RedisCluster::master_ports() const {
  const auto slots = command(running_port(), {"CLUSTER", "SLOTS"});
  std::map<long long, int> by_first_slot;
  const redisReply* ranges = slots.reply.get();
  for (std::size_t i = 0; i < ranges->elements; ++i) {
    const redisReply* range = ranges->element[i];
    by_first_slot[range->element[0]->integer] =
        static_cast<int>(range->element[2]->element[1]->integer);
  }
  std::vector<int> out;
  for (const auto& [first, port] : by_first_slot) {
    if (std::find(out.begin(), out.end(), port) == out.end())
      out.push_back(port);
  }
  return out;
}

}  // namespace headway::test
