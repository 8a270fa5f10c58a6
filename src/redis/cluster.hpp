#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/cluster_slot.hpp"
#include "redis/connection.hpp"

namespace headway::redis {

// A blocking client of a Redis Cluster (redis+cluster:// URLs). Debian 12
// packages no Redis Cluster client library, so this one is built on the
// project's own Connection (RESP over a Link, parsed with hiredis' reader):
// one Connection per master, opened lazily with the URL's credentials and
// TLS settings.
//
// The slot map comes from CLUSTER SLOTS, asked of the URL's seed nodes and
// the nodes known from earlier maps, in turn. A command is sent to the master
// of its key's slot; a MOVED reply updates the map (and has it read again)
// and the command goes to the node named; an ASK reply sends ASKING and the
// command to the node named, for that one command. After 5 redirects the
// command fails with a clear error. A connection error fails the command (it
// may have run, so it is not sent again: see Connection) and has the map
// read again before the next command, so that a promoted replica is found.
//
// Not thread-safe: one owner.
class ClusterClient {
 public:
  static constexpr int kMaxRedirects = 5;

  // Reads the slot map from the endpoint's seed nodes (endpoint.cluster_nodes).
  // On failure returns nullptr and says why in `error`.
  static std::unique_ptr<ClusterClient> open(const Endpoint& endpoint, Timeouts timeouts,
                                             std::string& error);

  // Sends `args` to the master of `key`'s slot. Every key the command names
  // must share that slot (a hash tag), as Redis Cluster requires.
  CommandResult command(std::string_view key, const std::vector<std::string_view>& args);
  // The same for a command routed by slot.
  CommandResult command_in_slot(int slot, const std::vector<std::string_view>& args);

  // Reads the slot map again now; false (with `error`) when no node answers.
  bool refresh(std::string& error);
  // The master the map names for `slot`, empty when it names none.
  std::string master_of(int slot) const;
  // How many times the map was read (the first time included).
  std::uint64_t refreshes() const { return refreshes_; }
  // How many MOVED and ASK replies were followed.
  std::uint64_t redirects() const { return redirects_; }

 private:
  ClusterClient(Endpoint endpoint, Timeouts timeouts)
      : endpoint_(std::move(endpoint)), timeouts_(timeouts) {}

  // The connection to `address` (host:port as display() gives it), opened
  // when there is none; nullptr with `error` when it cannot be opened.
  Connection* node(const HostPort& address, std::string& error);
  bool read_map_from(const HostPort& address, std::string& error);

  Endpoint endpoint_;
  Timeouts timeouts_;
  // The master of each slot, as an index into masters_; -1 for none.
  std::array<int, kClusterSlots> slot_owner_{};
  std::vector<HostPort> masters_;
  // Every node of the last map, replicas too: asked first at a refresh.
  std::vector<HostPort> known_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;
  bool map_stale_ = true;
  std::uint64_t refreshes_ = 0;
  std::uint64_t redirects_ = 0;
};

}  // namespace headway::redis
