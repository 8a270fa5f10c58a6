#include "redis/connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <utility>

namespace headway::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

std::string context_error(const redisContext* context, const char* otherwise) {
  return context && context->err ? std::string(context->errstr) : std::string(otherwise);
}

}  // namespace

std::unique_ptr<Connection> Connection::open(const Endpoint& endpoint, Timeouts timeouts,
                                             std::string& error) {
  std::unique_ptr<Connection> connection(new Connection(endpoint, timeouts));
  if (!connection->establish(error))
    return nullptr;
  return connection;
}

bool Connection::establish(std::string& error) {
  const timeval connect_timeout = to_timeval(timeouts_.connect);
  Context fresh(
      endpoint_.is_unix()
          ? redisConnectUnixWithTimeout(endpoint_.socket_path.c_str(), connect_timeout)
          : redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, connect_timeout));
  if (!fresh) {
    error = "cannot allocate a Redis context";
    return false;
  }
  if (fresh->err) {
    error = "cannot connect to Redis at " + endpoint_.display() + ": " + fresh->errstr;
    return false;
  }
  if (redisSetTimeout(fresh.get(), to_timeval(timeouts_.command)) != REDIS_OK) {
    error = "cannot set the Redis command timeout";
    return false;
  }
  Context previous = std::exchange(context_, std::move(fresh));
  const auto setup = [this](const std::vector<std::string_view>& args) {
    Delivery delivery;
    return round_trip(format_command(args), delivery);
  };
  bool ready = true;
  if (!endpoint_.password.empty()) {
    auto auth = endpoint_.user.empty() ? setup({"AUTH", endpoint_.password})
                                       : setup({"AUTH", endpoint_.user, endpoint_.password});
    if (!auth.ok() || auth.is_error_reply()) {
      error = "Redis AUTH failed at " + endpoint_.display() + ": " +
              (auth.ok() ? std::string(auth.error_reply()) : auth.error);
      ready = false;
    }
  }
  if (ready && endpoint_.db != 0) {
    auto select = setup({"SELECT", std::to_string(endpoint_.db)});
    if (!select.ok() || select.is_error_reply()) {
      error = "Redis SELECT " + std::to_string(endpoint_.db) +
              " failed: " + (select.ok() ? std::string(select.error_reply()) : select.error);
      ready = false;
    }
  }
  if (!ready) {
    context_ = std::move(previous);
    return false;
  }
  broken_ = false;
  return true;
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

bool Connection::closed_by_peer() const {
  pollfd socket{context_->fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&socket, 1, 0) <= 0)
    return false;  // nothing arrived: as alive as a socket can be seen to be
  if (socket.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))
    return true;
  char byte = 0;
  const ssize_t peeked = ::recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

CommandResult Connection::round_trip(const std::string& formatted, Delivery& delivery) {
  delivery = Delivery::not_sent;
  CommandResult result;
  if (formatted.empty()) {
    result.error = "cannot format the Redis command";
    return result;
  }
  redisContext* context = context_.get();
  if (redisAppendFormattedCommand(context, formatted.data(), formatted.size()) != REDIS_OK) {
    broken_ = true;
    result.error = context_error(context, "cannot buffer the Redis command");
    return result;
  }
  // Written here rather than inside redisGetReply, so that a failed write
  // (the command incomplete, hence not run) is told apart from a lost reply.
  int written = 0;
  do {
    if (redisBufferWrite(context, &written) != REDIS_OK) {
      broken_ = true;
      result.error = context_error(context, "cannot send to Redis");
      return result;
    }
  } while (!written);
  delivery = Delivery::sent;
  void* reply = nullptr;
  if (redisGetReply(context, &reply) != REDIS_OK || reply == nullptr) {
    broken_ = true;
    result.error = context_error(context, "no reply from Redis");
    return result;
  }
  result.reply.reset(static_cast<redisReply*>(reply));
  return result;
}

CommandResult Connection::command(const std::vector<std::string_view>& args) {
  const std::string formatted = format_command(args);
  CommandResult result;
  // Two rounds at most: the second only when the first could not send.
  for (int round = 0; round < 2; ++round) {
    if (broken_ || closed_by_peer()) {
      if (std::string error; !establish(error)) {
        broken_ = true;
        result.error = std::move(error);
        return result;
      }
      ++reconnects_;
    }
    Delivery delivery;
    result = round_trip(formatted, delivery);
    if (result.ok() || delivery == Delivery::sent || formatted.empty())
      return result;
  }
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
    result.error = context_error(context_.get(), "no reply from Redis");
    return result;
  }
  result.reply.reset(static_cast<redisReply*>(reply));
  return result;
}

}  // namespace headway::redis
