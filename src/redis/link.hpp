#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "redis/redis_url.hpp"

namespace headway::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct Timeouts {
  std::chrono::milliseconds connect{1000};
  std::chrono::milliseconds command{2000};
};

// One blocking byte stream to a Redis (or Sentinel) server carrying RESP: a
// hiredis context for TCP and unix sockets, an Asio TLS stream for rediss://.
// Connected on creation; after a failed send or receive it is unusable.
// Not thread-safe: one owner.
class Link {
 public:
  virtual ~Link() = default;
  // Writes one formatted command in full, or fails (with `error`) having
  // written less, so that Redis did not run it.
  virtual bool send(std::string_view formatted, std::string& error) = 0;
  // The next reply, or null (with `error`) on a failure or after the command
  // timeout.
  virtual Reply receive(std::string& error) = 0;
  // The socket, to see whether the peer closed it without reading.
  virtual int native_socket() const = 0;
};

// hiredis' synchronous API. On failure returns nullptr and says why.
std::unique_ptr<Link> open_tcp_link(const HostPort& address, Timeouts timeouts, std::string& error);
std::unique_ptr<Link> open_unix_link(const std::string& path, Timeouts timeouts,
                                     std::string& error);
// TLS over Asio and OpenSSL (tls_link.cpp), the server's certificate verified.
std::unique_ptr<Link> open_tls_link(const HostPort& address, const TlsOptions& options,
                                    Timeouts timeouts, std::string& error);

}  // namespace headway::redis
