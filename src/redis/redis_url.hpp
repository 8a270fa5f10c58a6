#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace headway::redis {

// A parsed Redis address (see RedisConfig::url for the accepted forms).
struct Endpoint {
  std::string host;  // empty for a unix socket
  int port = 6379;
  std::string socket_path;  // set for unix://
  std::string user;         // empty: AUTH with the password alone
  std::string password;     // empty: no AUTH
  int db = 0;

  bool is_unix() const { return !socket_path.empty(); }
  // host:port or the socket path, without credentials (safe to log).
  std::string display() const;
};

// Parses a Redis URL; on failure returns nullopt and says why in `error`.
std::optional<Endpoint> parse_redis_url(std::string_view url, std::string& error);

}  // namespace headway::redis
