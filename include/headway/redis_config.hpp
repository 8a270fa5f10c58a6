#pragma once

#include <chrono>
#include <string>

namespace headway {

// Where and how to reach Redis. A plain value; copy freely.
struct RedisConfig {
  // redis://[[user]:password@]host[:port][/db], unix:///path/to/socket[?db=N],
  // rediss://...[?cacert=PATH&cert=PATH&key=PATH&sni=NAME] (TLS), or
  // redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/master
  //   [?db=N&sentinel_user=U&sentinel_password=P] (rediss+sentinel:// for TLS),
  // or redis+cluster://[[user]:password@]host[:port][,host[:port]...] for a
  //   Redis Cluster found through these seed nodes (rediss+cluster:// for TLS,
  //   with rediss://'s parameters), written with the cluster key layout of
  //   docs/protocol.md;
  // see docs/operations.md.
  std::string url = "redis://127.0.0.1:6379";
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};

  static RedisConfig from_url(std::string url) {
    RedisConfig config;
    config.url = std::move(url);
    return config;
  }
};

}  // namespace headway
