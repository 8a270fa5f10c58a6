#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/link.hpp"
#include "redis/redis_url.hpp"

namespace headway::redis {

// The outcome of one command: a reply (which may itself be a Redis error
// reply), or a connection-level error in `error` with no reply.
struct CommandResult {
  Reply reply;
  std::string error;

  bool ok() const { return reply != nullptr; }
  bool is_error_reply() const { return reply && reply->type == REDIS_REPLY_ERROR; }
  std::string_view error_reply() const {
    return is_error_reply() ? std::string_view(reply->str, reply->len) : std::string_view();
  }
};

// The text of a string, status or error reply; empty for any other reply or none.
std::string reply_text(const redisReply* reply);

// RESP for one command (binary-safe arguments); empty if hiredis cannot format it.
std::string format_command(const std::vector<std::string_view>& args);

// One blocking connection to Redis (hiredis' synchronous API; TLS on Asio, see
// Link), with connect and command timeouts, AUTH and SELECT done on connect.
// Not thread-safe: one owner.
//
// With Sentinel (redis+sentinel://) every connect first asks the Sentinels,
// in the URL's order, for the master's address, and checks with ROLE that
// the server found is a master; a READONLY reply (a demoted master) breaks
// the connection and the command is sent again after a new discovery, since
// it did not run.
//
// A connection that is dead before a command goes out is re-established
// first, and the command goes out on the new one: dead means closed by Redis
// (a restart, an idle timeout: seen as end-of-file or a reset on the socket
// just before sending), broken by an earlier error, or failing while the
// command is written (an incomplete command is never run). A command whose
// reply is lost after it was sent in full is not sent again, since it may
// have run (an XADD would be doubled): it fails, the connection is broken,
// and the next command reconnects. So a stale connection never fails a
// command, and no command runs twice.
class Connection {
 public:
  using Timeouts = redis::Timeouts;

  // Connects, authenticates and selects the database. On failure returns
  // nullptr and says why in `error`.
  static std::unique_ptr<Connection> open(const Endpoint& endpoint, Timeouts timeouts,
                                          std::string& error);

  // Sends one command given as binary-safe arguments and reads its reply,
  // reconnecting first when the connection is dead (see above).
  CommandResult command(const std::vector<std::string_view>& args);

  // Reads the next reply without sending anything: a pub/sub message after
  // SUBSCRIBE. Gives up (and breaks the connection) after the command timeout.
  // Never reconnects: a subscription does not survive a new connection.
  CommandResult read_reply();

  // The last I/O failed and no reconnect has succeeded since.
  bool broken() const { return broken_; }
  // How many times the connection was re-established. State kept per
  // connection (SUBSCRIBE, a loaded script, a consumer's blocking read) is
  // gone after each.
  std::uint64_t reconnects() const { return reconnects_; }

 private:
  Connection(Endpoint endpoint, Timeouts timeouts)
      : endpoint_(std::move(endpoint)), timeouts_(timeouts) {}

  // A new link, authenticated and on the right database; the old one is
  // kept when this fails.
  bool establish(std::string& error);
  // A link to `address` (or the unix socket when null), AUTH and SELECT done.
  std::unique_ptr<Link> open_ready(const HostPort* address, std::string& error) const;
  // The master named by the Sentinels, connected and checked with ROLE.
  std::unique_ptr<Link> open_master(std::string& error) const;
  // Whether Redis has closed or reset the socket (nothing is read).
  bool closed_by_peer() const;
  enum class Delivery { sent, not_sent };
  // Writes one formatted command in full and reads its reply, on the current
  // context, without reconnecting.
  CommandResult round_trip(const std::string& formatted, Delivery& delivery);

  Endpoint endpoint_;
  Timeouts timeouts_;
  std::unique_ptr<Link> link_;
  bool broken_ = false;
  std::uint64_t reconnects_ = 0;
};

}  // namespace headway::redis
