#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_url.hpp"

namespace headway::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

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

// RESP for one command (binary-safe arguments); empty if hiredis cannot format it.
std::string format_command(const std::vector<std::string_view>& args);

// One blocking connection to Redis (hiredis' synchronous API), with connect and
// command timeouts, AUTH and SELECT done on connect. Not thread-safe: one owner.
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
  struct Timeouts {
    std::chrono::milliseconds connect{1000};
    std::chrono::milliseconds command{2000};
  };

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
  struct ContextDeleter {
    void operator()(redisContext* context) const { redisFree(context); }
  };
  using Context = std::unique_ptr<redisContext, ContextDeleter>;
  Connection(Endpoint endpoint, Timeouts timeouts)
      : endpoint_(std::move(endpoint)), timeouts_(timeouts) {}

  // A new context, authenticated and on the right database; the old one is
  // kept when this fails.
  bool establish(std::string& error);
  // Whether Redis has closed or reset the socket (nothing is read).
  bool closed_by_peer() const;
  enum class Delivery { sent, not_sent };
  // Writes one formatted command in full and reads its reply, on the current
  // context, without reconnecting.
  CommandResult round_trip(const std::string& formatted, Delivery& delivery);

  Endpoint endpoint_;
  Timeouts timeouts_;
  Context context_;
  bool broken_ = false;
  std::uint64_t reconnects_ = 0;
};

}  // namespace headway::redis
