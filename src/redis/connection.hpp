#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
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
// command timeouts, AUTH and SELECT done on connect. Once an I/O error occurs
// the connection is broken for good; make a new one. Not thread-safe: one owner.
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

  // Sends one command given as binary-safe arguments and reads its reply.
  CommandResult command(const std::vector<std::string_view>& args);

  // Reads the next reply without sending anything: a pub/sub message after
  // SUBSCRIBE. Gives up (and breaks the connection) after the command timeout.
  CommandResult read_reply();

  bool broken() const { return broken_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const { redisFree(context); }
  };
  explicit Connection(redisContext* context) : context_(context) {}

  std::unique_ptr<redisContext, ContextDeleter> context_;
  bool broken_ = false;
};

}  // namespace headway::redis
