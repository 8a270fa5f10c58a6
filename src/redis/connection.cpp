#include "redis/connection.hpp"

#include <sys/time.h>

namespace headway::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

std::unique_ptr<Connection> Connection::open(const Endpoint& endpoint, Timeouts timeouts,
                                             std::string& error) {
  const timeval connect_timeout = to_timeval(timeouts.connect);
  redisContext* raw =
      endpoint.is_unix()
          ? redisConnectUnixWithTimeout(endpoint.socket_path.c_str(), connect_timeout)
          : redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, connect_timeout);
  if (raw == nullptr) {
    error = "cannot allocate a Redis context";
    return nullptr;
  }
  std::unique_ptr<Connection> connection(new Connection(raw));
  if (raw->err) {
    error = "cannot connect to Redis at " + endpoint.display() + ": " + raw->errstr;
    return nullptr;
  }
  if (redisSetTimeout(raw, to_timeval(timeouts.command)) != REDIS_OK) {
    error = "cannot set the Redis command timeout";
    return nullptr;
  }
  if (!endpoint.password.empty()) {
    auto auth = endpoint.user.empty()
                    ? connection->command({"AUTH", endpoint.password})
                    : connection->command({"AUTH", endpoint.user, endpoint.password});
    if (!auth.ok() || auth.is_error_reply()) {
      error = "Redis AUTH failed at " + endpoint.display() + ": " +
              (auth.ok() ? std::string(auth.error_reply()) : auth.error);
      return nullptr;
    }
  }
  if (endpoint.db != 0) {
    auto select = connection->command({"SELECT", std::to_string(endpoint.db)});
    if (!select.ok() || select.is_error_reply()) {
      error = "Redis SELECT " + std::to_string(endpoint.db) +
              " failed: " + (select.ok() ? std::string(select.error_reply()) : select.error);
      return nullptr;
    }
  }
  return connection;
}

std::string format_command(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (auto arg : args) {
    argv.push_back(arg.data());
    argvlen.push_back(arg.size());
  }
  char* command = nullptr;
  const int length =
      redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv.data(), argvlen.data());
  std::string out;
  if (length > 0)
    out.assign(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
  return out;
}

CommandResult Connection::command(const std::vector<std::string_view>& args) {
  CommandResult result;
  if (broken_) {
    result.error = "connection is broken";
    return result;
  }
  const std::string formatted = format_command(args);
  void* reply = nullptr;
  // What redisCommandArgv does, from the one formatter both Redis clients use.
  if (formatted.empty() ||
      redisAppendFormattedCommand(context_.get(), formatted.data(), formatted.size()) != REDIS_OK ||
      redisGetReply(context_.get(), &reply) != REDIS_OK) {
    reply = nullptr;
  }
  if (reply == nullptr) {
    broken_ = true;
    result.error = context_->err ? context_->errstr : "no reply from Redis";
    return result;
  }
  result.reply.reset(static_cast<redisReply*>(reply));
  return result;
}

CommandResult Connection::read_reply() {
  CommandResult result;
  if (broken_) {
    result.error = "connection is broken";
    return result;
  }
  void* reply = nullptr;
  if (redisGetReply(context_.get(), &reply) != REDIS_OK || reply == nullptr) {
    broken_ = true;
    result.error = context_->err ? context_->errstr : "no reply from Redis";
    return result;
  }
  result.reply.reset(static_cast<redisReply*>(reply));
  return result;
}

}  // namespace headway::redis
