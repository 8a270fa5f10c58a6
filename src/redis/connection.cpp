#include "redis/connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
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

// hiredis' synchronous API over a TCP or unix socket.
class HiredisLink final : public Link {
 public:
  struct ContextDeleter {
    void operator()(redisContext* context) const { redisFree(context); }
  };
  using Context = std::unique_ptr<redisContext, ContextDeleter>;

  static std::unique_ptr<Link> open(Context context, Timeouts timeouts, std::string& error) {
    if (!context) {
      error = "cannot allocate a Redis context";
      return nullptr;
    }
    if (context->err) {
      error = context->errstr;
      return nullptr;
    }
    if (redisSetTimeout(context.get(), to_timeval(timeouts.command)) != REDIS_OK) {
      error = "cannot set the Redis command timeout";
      return nullptr;
    }
    return std::unique_ptr<Link>(new HiredisLink(std::move(context)));
  }

  bool send(std::string_view formatted, std::string& error) override {
    redisContext* context = context_.get();
    if (redisAppendFormattedCommand(context, formatted.data(), formatted.size()) != REDIS_OK) {
      error = context_error(context, "cannot buffer the Redis command");
      return false;
    }
    // Written here rather than inside redisGetReply, so that a failed write
    // (the command incomplete, hence not run) is told apart from a lost reply.
    int written = 0;
    do {
      if (redisBufferWrite(context, &written) != REDIS_OK) {
        error = context_error(context, "cannot send to Redis");
        return false;
      }
    } while (!written);
    return true;
  }

  Reply receive(std::string& error) override {
    void* reply = nullptr;
    if (redisGetReply(context_.get(), &reply) != REDIS_OK || reply == nullptr) {
      error = context_error(context_.get(), "no reply from Redis");
      return nullptr;
    }
    return Reply(static_cast<redisReply*>(reply));
  }

  int native_socket() const override { return context_->fd; }

 private:
  explicit HiredisLink(Context context) : context_(std::move(context)) {}
  Context context_;
};

CommandResult exchange(Link& link, const std::vector<std::string_view>& args) {
  CommandResult result;
  const std::string formatted = format_command(args);
  if (formatted.empty()) {
    result.error = "cannot format the Redis command";
  } else if (link.send(formatted, result.error)) {
    result.reply = link.receive(result.error);
  }
  return result;
}

// The reason a setup command failed, from a connection error or an error reply.
std::string failure(const CommandResult& result) {
  return result.ok() ? std::string(result.error_reply()) : result.error;
}

}  // namespace

std::string reply_text(const redisReply* reply) {
  return reply && reply->str ? std::string(reply->str, reply->len) : std::string();
}

std::unique_ptr<Link> open_tcp_link(const HostPort& address, Timeouts timeouts,
                                    std::string& error) {
  return HiredisLink::open(HiredisLink::Context(redisConnectWithTimeout(
                               address.host.c_str(), address.port, to_timeval(timeouts.connect))),
                           timeouts, error);
}

std::unique_ptr<Link> open_unix_link(const std::string& path, Timeouts timeouts,
                                     std::string& error) {
  return HiredisLink::open(
      HiredisLink::Context(redisConnectUnixWithTimeout(path.c_str(), to_timeval(timeouts.connect))),
      timeouts, error);
}

std::unique_ptr<Connection> Connection::open(const Endpoint& endpoint, Timeouts timeouts,
                                             std::string& error) {
  std::unique_ptr<Connection> connection(new Connection(endpoint, timeouts));
  if (!connection->establish(error))
    return nullptr;
  return connection;
}

std::unique_ptr<Link> Connection::open_ready(const HostPort* address, std::string& error) const {
  std::string why;
  std::unique_ptr<Link> link;
  if (address == nullptr)
    link = open_unix_link(endpoint_.socket_path, timeouts_, why);
  else if (endpoint_.tls)
    link = open_tls_link(*address, endpoint_.tls_options, timeouts_, why);
  else
    link = open_tcp_link(*address, timeouts_, why);
  // A Sentinel-managed master is named by the address found for it.
  const std::string shown = endpoint_.is_sentinel() ? address->display() : endpoint_.display();
  if (!link) {
    error = "cannot connect to Redis at " + shown + ": " + why;
    return nullptr;
  }
  if (!endpoint_.password.empty()) {
    auto auth = endpoint_.user.empty()
                    ? exchange(*link, {"AUTH", endpoint_.password})
                    : exchange(*link, {"AUTH", endpoint_.user, endpoint_.password});
    if (!auth.ok() || auth.is_error_reply()) {
      error = "Redis AUTH failed at " + shown + ": " + failure(auth);
      return nullptr;
    }
  }
  if (endpoint_.db != 0) {
    auto select = exchange(*link, {"SELECT", std::to_string(endpoint_.db)});
    if (!select.ok() || select.is_error_reply()) {
      error = "Redis SELECT " + std::to_string(endpoint_.db) + " failed: " + failure(select);
      return nullptr;
    }
  }
  return link;
}

std::unique_ptr<Link> Connection::open_master(std::string& error) const {
  std::string reasons;
  for (const auto& sentinel : endpoint_.sentinels) {
    std::string why;
    auto link = endpoint_.tls ? open_tls_link(sentinel, endpoint_.tls_options, timeouts_, why)
                              : open_tcp_link(sentinel, timeouts_, why);
    std::optional<HostPort> master;
    if (link && !endpoint_.sentinel_password.empty()) {
      auto auth =
          endpoint_.sentinel_user.empty()
              ? exchange(*link, {"AUTH", endpoint_.sentinel_password})
              : exchange(*link, {"AUTH", endpoint_.sentinel_user, endpoint_.sentinel_password});
      if (!auth.ok() || auth.is_error_reply()) {
        why = "AUTH failed: " + failure(auth);
        link.reset();
      }
    }
    if (link) {
      auto answer = exchange(*link, {"SENTINEL", "get-master-addr-by-name", endpoint_.master_name});
      if (!answer.ok() || answer.is_error_reply())
        why = failure(answer);
      else if (answer.reply->type != REDIS_REPLY_ARRAY || answer.reply->elements != 2)
        why = "does not know the master '" + endpoint_.master_name + "'";
      else
        master = HostPort{reply_text(answer.reply->element[0]),
                          std::atoi(reply_text(answer.reply->element[1]).c_str())};
    }
    if (master) {
      auto ready = open_ready(&*master, why);
      if (ready) {
        auto role = exchange(*ready, {"ROLE"});
        if (role.ok() && role.reply->type == REDIS_REPLY_ARRAY && role.reply->elements > 0 &&
            reply_text(role.reply->element[0]) == "master")
          return ready;
        why = master->display() + " is not a master (" +
              (role.ok() ? reply_text(role.reply->element[0]) : role.error) + ")";
      }
    }
    reasons +=
        (reasons.empty() ? "" : "; ") + std::string("Sentinel ") + sentinel.display() + ": " + why;
  }
  error = "no master for " + endpoint_.display() + " (" + reasons + ")";
  return nullptr;
}

bool Connection::establish(std::string& error) {
  const HostPort address = endpoint_.address();
  auto fresh = endpoint_.is_sentinel() ? open_master(error)
               : endpoint_.is_unix()   ? open_ready(nullptr, error)
                                       : open_ready(&address, error);
  if (!fresh)
    return false;
  link_ = std::move(fresh);
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
  const int fd = link_->native_socket();
  pollfd socket{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&socket, 1, 0) <= 0)
    return false;  // nothing arrived: as alive as a socket can be seen to be
  if (socket.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))
    return true;
  char byte = 0;
  const ssize_t peeked = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

CommandResult Connection::round_trip(const std::string& formatted, Delivery& delivery) {
  delivery = Delivery::not_sent;
  CommandResult result;
  if (formatted.empty()) {
    result.error = "cannot format the Redis command";
    return result;
  }
  if (!link_->send(formatted, result.error)) {
    broken_ = true;
    return result;
  }
  delivery = Delivery::sent;
  result.reply = link_->receive(result.error);
  if (!result.reply)
    broken_ = true;
  return result;
}

CommandResult Connection::command(const std::vector<std::string_view>& args) {
  const std::string formatted = format_command(args);
  CommandResult result;
  // Two rounds at most: the second only when the first could not send, or
  // (Sentinel) reached a master that has been demoted since.
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
    if (endpoint_.is_sentinel() && result.error_reply().starts_with("READONLY")) {
      broken_ = true;
      continue;
    }
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
  result.reply = link_->receive(result.error);
  if (!result.reply)
    broken_ = true;
  return result;
}

}  // namespace headway::redis
