#include "redis/cluster.hpp"

#include <algorithm>
#include <cstdlib>

namespace headway::redis {
namespace {

CommandResult failed(std::string error) {
  CommandResult result;
  result.error = std::move(error);
  return result;
}

// A node named in a CLUSTER SLOTS range: {host, port, id, ...}. An empty host
// is the node that answered; "?" is a node whose address it does not know.
std::optional<HostPort> slot_node(const redisReply* node, const HostPort& asked) {
  if (node == nullptr || node->type != REDIS_REPLY_ARRAY || node->elements < 2 ||
      node->element[1]->type != REDIS_REPLY_INTEGER)
    return std::nullopt;
  std::string host = reply_text(node->element[0]);
  if (host == "?")
    return std::nullopt;
  if (host.empty())
    host = asked.host;
  return HostPort{std::move(host), static_cast<int>(node->element[1]->integer)};
}

// The slot and address of a "MOVED <slot> <host>:<port>" or
// "ASK <slot> <host>:<port>" reply; an empty host is the node that answered.
std::optional<std::pair<int, HostPort>> redirect_target(std::string_view reply,
                                                        const HostPort& asked) {
  const auto first = reply.find(' ');
  const auto second = reply.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos)
    return std::nullopt;
  const auto address = reply.substr(second + 1);
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  const int slot = std::atoi(std::string(reply.substr(first + 1, second - first - 1)).c_str());
  const int port = std::atoi(std::string(address.substr(colon + 1)).c_str());
  if (slot < 0 || slot >= kClusterSlots || port <= 0)
    return std::nullopt;
  HostPort target{std::string(address.substr(0, colon)), port};
  if (target.host.empty())
    target.host = asked.host;
  return std::pair{slot, std::move(target)};
}

}  // namespace

std::unique_ptr<ClusterClient> ClusterClient::open(const Endpoint& endpoint, Timeouts timeouts,
                                                   std::string& error) {
  if (!endpoint.is_cluster()) {
    error = endpoint.display() + " is no cluster URL (redis+cluster://host:port,...)";
    return nullptr;
  }
  std::unique_ptr<ClusterClient> client(new ClusterClient(endpoint, timeouts));
  client->slot_owner_.fill(-1);
  if (!client->refresh(error))
    return nullptr;
  return client;
}

Connection* ClusterClient::node(const HostPort& address, std::string& error) {
  auto& connection = connections_[address.display()];
  if (!connection) {
    Endpoint direct = endpoint_;
    direct.cluster_nodes.clear();
    direct.host = address.host;
    direct.port = address.port;
    connection = Connection::open(direct, timeouts_, error);
    if (!connection) {
      connections_.erase(address.display());
      return nullptr;
    }
  }
  return connection.get();
}

bool ClusterClient::read_map_from(const HostPort& address, std::string& error) {
  Connection* connection = node(address, error);
  if (!connection)
    return false;
  const auto answer = connection->command({"CLUSTER", "SLOTS"});
  if (!answer.ok() || answer.is_error_reply() || answer.reply->type != REDIS_REPLY_ARRAY) {
    error = address.display() + ": " +
            (answer.ok() ? (answer.is_error_reply() ? std::string(answer.error_reply())
                                                    : std::string("unexpected CLUSTER SLOTS reply"))
                         : answer.error);
    if (!answer.ok())
      connections_.erase(address.display());
    return false;
  }
  std::array<int, kClusterSlots> owners;
  owners.fill(-1);
  std::vector<HostPort> masters;
  std::vector<HostPort> known;
  const auto remember = [](std::vector<HostPort>& list, const HostPort& node) {
    const auto at = std::find(list.begin(), list.end(), node);
    if (at != list.end())
      return static_cast<int>(at - list.begin());
    list.push_back(node);
    return static_cast<int>(list.size() - 1);
  };
  const redisReply* ranges = answer.reply.get();
  for (std::size_t i = 0; i < ranges->elements; ++i) {
    const redisReply* range = ranges->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
        range->element[0]->type != REDIS_REPLY_INTEGER ||
        range->element[1]->type != REDIS_REPLY_INTEGER)
      continue;
    const auto master = slot_node(range->element[2], address);
    if (!master)
      continue;
    const int index = remember(masters, *master);
    const auto first = std::clamp<long long>(range->element[0]->integer, 0, kClusterSlots - 1);
    const auto last = std::clamp<long long>(range->element[1]->integer, 0, kClusterSlots - 1);
    for (auto slot = first; slot <= last; ++slot)
      owners[static_cast<std::size_t>(slot)] = index;
    for (std::size_t n = 2; n < range->elements; ++n) {
      if (const auto member = slot_node(range->element[n], address))
        remember(known, *member);
    }
  }
  if (masters.empty()) {
    error = address.display() + ": the cluster serves no slot";
    return false;
  }
  slot_owner_ = owners;
  masters_ = std::move(masters);
  known_ = std::move(known);
  return true;
}

bool ClusterClient::refresh(std::string& error) {
  std::vector<HostPort> candidates = known_;
  for (const auto& seed : endpoint_.cluster_nodes) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end())
      candidates.push_back(seed);
  }
  std::string reasons;
  for (const auto& candidate : candidates) {
    std::string why;
    if (read_map_from(candidate, why)) {
      map_stale_ = false;
      ++refreshes_;
      return true;
    }
    reasons += (reasons.empty() ? "" : "; ") + why;
  }
  error = "cannot read the slot map of " + endpoint_.display() + " (" + reasons + ")";
  return false;
}

std::string ClusterClient::master_of(int slot) const {
  const int owner = slot_owner_[static_cast<std::size_t>(slot)];
  return owner < 0 ? std::string() : masters_[static_cast<std::size_t>(owner)].display();
}

CommandResult ClusterClient::command(std::string_view key,
                                     const std::vector<std::string_view>& args) {
  return command_in_slot(key_slot(key), args);
}

CommandResult ClusterClient::command_in_slot(int slot, const std::vector<std::string_view>& args) {
  if (slot < 0 || slot >= kClusterSlots)
    return failed("no such cluster slot: " + std::to_string(slot));
  const auto index = static_cast<std::size_t>(slot);
  if (map_stale_) {
    std::string ignored;  // the old map is still the best guess
    refresh(ignored);
  }
  std::optional<HostPort> ask_target;
  for (int redirects = 0;; ++redirects) {
    if (!ask_target && slot_owner_[index] < 0) {
      std::string why;
      if (!refresh(why) || slot_owner_[index] < 0)
        return failed("no master serves slot " + std::to_string(slot) +
                      (why.empty() ? std::string() : ": " + why));
    }
    const HostPort target =
        ask_target ? *ask_target : masters_[static_cast<std::size_t>(slot_owner_[index])];
    std::string error;
    Connection* connection = node(target, error);
    if (!connection) {
      map_stale_ = true;
      return failed(std::move(error));
    }
    CommandResult result;
    if (ask_target) {
      result = connection->command({"ASKING"});
      if (result.ok() && !result.is_error_reply())
        result = connection->command(args);
    } else {
      result = connection->command(args);
    }
    if (!result.ok()) {
      connections_.erase(target.display());
      map_stale_ = true;
      return result;
    }
    const auto reply = result.error_reply();
    const bool moved = reply.starts_with("MOVED ");
    if (!moved && !reply.starts_with("ASK ")) {
      if (reply.starts_with("CLUSTERDOWN"))
        map_stale_ = true;
      return result;
    }
    const auto redirect = redirect_target(reply, target);
    if (!redirect)
      return failed("unreadable redirect from " + target.display() + ": " + std::string(reply));
    if (redirects == kMaxRedirects)
      return failed("slot " + std::to_string(slot) + " still redirected after " +
                    std::to_string(kMaxRedirects) + " redirects (last: " + std::string(reply) +
                    ")");
    ++redirects_;
    if (moved) {
      ask_target.reset();
      std::string ignored;  // the MOVED reply below is authoritative anyway
      refresh(ignored);
      const auto& [moved_slot, address] = *redirect;
      auto at = std::find(masters_.begin(), masters_.end(), address);
      if (at == masters_.end())
        at = masters_.insert(masters_.end(), address);
      slot_owner_[static_cast<std::size_t>(moved_slot)] = static_cast<int>(at - masters_.begin());
    } else {
      ask_target = redirect->second;
    }
  }
}

}  // namespace headway::redis
