#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace headway::redis {

// A TCP address: a host name or an IP address (IPv6 without brackets).
struct HostPort {
  std::string host;
  int port = 6379;

  // host:port, IPv6 in brackets.
  std::string display() const;
  bool operator==(const HostPort&) const = default;
};

// TLS settings of a rediss:// (or rediss+sentinel://) URL. Every path is a
// PEM file. The server's certificate is always verified: against `ca_file`
// when given, else against the system's trusted roots, for the host name (or
// IP address) connected to, or `server_name` when given.
struct TlsOptions {
  std::string ca_file;      // ?cacert=
  std::string cert_file;    // ?cert= client certificate (Redis' tls-auth-clients)
  std::string key_file;     // ?key= its private key; given with cert or not at all
  std::string server_name;  // ?sni= the name sent as SNI and checked in the certificate
};

// A parsed Redis address (see RedisConfig::url for the accepted forms).
struct Endpoint {
  std::string host;  // empty for a unix socket or a Sentinel-managed master
  int port = 6379;
  std::string socket_path;  // set for unix://
  std::string user;         // empty: AUTH with the password alone
  std::string password;     // empty: no AUTH
  int db = 0;

  // rediss:// and rediss+sentinel://: TLS to every Redis (and Sentinel) contacted.
  bool tls = false;
  TlsOptions tls_options;

  // redis+sentinel://: the master is asked of these Sentinels, in turn, at
  // every connect. user/password/db above are the master's.
  std::vector<HostPort> sentinels;
  std::string master_name;
  std::string sentinel_user;      // ?sentinel_user=
  std::string sentinel_password;  // ?sentinel_password=; empty: no AUTH to Sentinels

  // redis+cluster:// (rediss+cluster:// for TLS): the seed nodes the slot
  // map is first asked of. user/password/TLS above hold for every node.
  std::vector<HostPort> cluster_nodes;

  bool is_unix() const { return !socket_path.empty(); }
  bool is_sentinel() const { return !master_name.empty(); }
  bool is_cluster() const { return !cluster_nodes.empty(); }
  // host:port or the socket path, without credentials (safe to log); for
  // TLS "host:port (TLS)"; for Sentinel "master NAME via host:port,...";
  // for a cluster "cluster via host:port,...".
  std::string display() const;
  // The address a direct connection goes to (not for Sentinel).
  HostPort address() const { return {host, port}; }
};

// Parses a Redis URL; on failure returns nullopt and says why in `error`.
std::optional<Endpoint> parse_redis_url(std::string_view url, std::string& error);

}  // namespace headway::redis
