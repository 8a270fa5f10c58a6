// Redis URLs (`--redis`, REDIS_URL, RedisConfig::from_url): any text either
// parses into an endpoint a connection can use (a host and a port in range,
// an absolute socket path, Sentinels each with a host and a port in range
// and a master name, or cluster nodes each with a host and a port in range;
// a database number in range) or is refused with a reason; an endpoint
// written back as a URL reads back as the same endpoint, TLS, Sentinel and
// cluster settings included.
#include <boost/url/url.hpp>
#include <cctype>
#include <string>

#include "fuzz_check.hpp"
#include "redis/redis_url.hpp"

namespace {

using headway::redis::Endpoint;

// A socket path percent-encoded for a URL path: unreserved characters and
// '/' as they are, every other byte as %XX.
std::string encode_path(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A query value percent-encoded: unreserved characters as they are.
std::string encode_value(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string tls_query(const Endpoint& endpoint) {
  const auto& tls = endpoint.tls_options;
  return "cacert=" + encode_value(tls.ca_file) + "&cert=" + encode_value(tls.cert_file) +
         "&key=" + encode_value(tls.key_file) + "&sni=" + encode_value(tls.server_name);
}

std::string sentinel_url(const Endpoint& endpoint) {
  std::string url = endpoint.tls ? "rediss+sentinel://" : "redis+sentinel://";
  if (!endpoint.user.empty() || !endpoint.password.empty())
    url += encode_value(endpoint.user) + ":" + encode_value(endpoint.password) + "@";
  for (std::size_t i = 0; i < endpoint.sentinels.size(); ++i)
    url += (i ? "," : "") + endpoint.sentinels[i].display();
  url += "/" + encode_value(endpoint.master_name) + "?db=" + std::to_string(endpoint.db) +
         "&sentinel_user=" + encode_value(endpoint.sentinel_user) +
         "&sentinel_password=" + encode_value(endpoint.sentinel_password);
  if (endpoint.tls)
    url += "&" + tls_query(endpoint);
  return url;
}

std::string cluster_url(const Endpoint& endpoint) {
  std::string url = endpoint.tls ? "rediss+cluster://" : "redis+cluster://";
  if (!endpoint.user.empty() || !endpoint.password.empty())
    url += encode_value(endpoint.user) + ":" + encode_value(endpoint.password) + "@";
  for (std::size_t i = 0; i < endpoint.cluster_nodes.size(); ++i)
    url += (i ? "," : "") + endpoint.cluster_nodes[i].display();
  if (endpoint.tls)
    url += "/?" + tls_query(endpoint);
  return url;
}

// The endpoint as a URL, each part encoded as a URL needs it.
std::string to_url(const Endpoint& endpoint) {
  if (endpoint.is_unix())
    return "unix://" + encode_path(endpoint.socket_path) + "?db=" + std::to_string(endpoint.db);
  if (endpoint.is_sentinel())
    return sentinel_url(endpoint);
  if (endpoint.is_cluster())
    return cluster_url(endpoint);
  boost::urls::url url;
  url.set_scheme(endpoint.tls ? "rediss" : "redis");
  {
    if (!endpoint.user.empty() || !endpoint.password.empty()) {
      url.set_user(endpoint.user);
      url.set_password(endpoint.password);
    }
    url.set_host_address(endpoint.host);
    url.set_port_number(static_cast<std::uint16_t>(endpoint.port));
    url.set_path("/" + std::to_string(endpoint.db));
  }
  if (endpoint.tls)
    url.set_encoded_query(tls_query(endpoint));
  return std::string(url.buffer());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const auto text = headway::fuzz::as_text(data, size);
  std::string error;
  const auto endpoint = headway::redis::parse_redis_url(text, error);
  if (!endpoint) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(endpoint->db >= 0 && endpoint->db <= (1 << 20));
  if (endpoint->is_unix()) {
    FUZZ_CHECK(endpoint->socket_path.front() == '/');
    FUZZ_CHECK(endpoint->display() == "unix://" + endpoint->socket_path);
  } else if (endpoint->is_sentinel()) {
    FUZZ_CHECK(!endpoint->sentinels.empty());
    for (const auto& sentinel : endpoint->sentinels) {
      FUZZ_CHECK(!sentinel.host.empty());
      FUZZ_CHECK(sentinel.port >= 1 && sentinel.port <= 65535);
    }
    FUZZ_CHECK(endpoint->master_name.find('/') == std::string::npos);
  } else if (endpoint->is_cluster()) {
    for (const auto& node : endpoint->cluster_nodes) {
      FUZZ_CHECK(!node.host.empty());
      FUZZ_CHECK(node.port >= 1 && node.port <= 65535);
    }
    FUZZ_CHECK(endpoint->db == 0);
  } else {
    FUZZ_CHECK(!endpoint->host.empty());
    FUZZ_CHECK(endpoint->port >= 1 && endpoint->port <= 65535);
    FUZZ_CHECK(endpoint->display() == endpoint->host + ":" + std::to_string(endpoint->port) +
                                          (endpoint->tls ? " (TLS)" : ""));
  }
  const std::string url = to_url(*endpoint);
  std::string error_again;
  const auto again = headway::redis::parse_redis_url(url, error_again);
  if (!again)
    std::fprintf(stderr, "'%s' does not parse: %s\n", url.c_str(), error_again.c_str());
  FUZZ_CHECK(again.has_value());
  // An IPv6 address may come back in another spelling ([::0] as [::]).
  if (endpoint->host.find(':') == std::string::npos)
    FUZZ_CHECK(again->host == endpoint->host);
  FUZZ_CHECK(again->port == endpoint->port);
  FUZZ_CHECK(again->socket_path == endpoint->socket_path);
  FUZZ_CHECK(again->db == endpoint->db);
  FUZZ_CHECK(again->tls == endpoint->tls);
  FUZZ_CHECK(again->tls_options.ca_file == endpoint->tls_options.ca_file);
  FUZZ_CHECK(again->tls_options.cert_file == endpoint->tls_options.cert_file);
  FUZZ_CHECK(again->tls_options.key_file == endpoint->tls_options.key_file);
  FUZZ_CHECK(again->tls_options.server_name == endpoint->tls_options.server_name);
  FUZZ_CHECK(again->master_name == endpoint->master_name);
  FUZZ_CHECK(again->sentinel_user == endpoint->sentinel_user);
  FUZZ_CHECK(again->sentinel_password == endpoint->sentinel_password);
  FUZZ_CHECK(again->sentinels.size() == endpoint->sentinels.size());
  for (std::size_t i = 0; i < again->sentinels.size() && i < endpoint->sentinels.size(); ++i) {
    FUZZ_CHECK(again->sentinels[i].port == endpoint->sentinels[i].port);
    if (endpoint->sentinels[i].host.find(':') == std::string::npos)
      FUZZ_CHECK(again->sentinels[i].host == endpoint->sentinels[i].host);
  }
  FUZZ_CHECK(again->cluster_nodes.size() == endpoint->cluster_nodes.size());
  for (std::size_t i = 0; i < again->cluster_nodes.size() && i < endpoint->cluster_nodes.size();
       ++i) {
    FUZZ_CHECK(again->cluster_nodes[i].port == endpoint->cluster_nodes[i].port);
    if (endpoint->cluster_nodes[i].host.find(':') == std::string::npos)
      FUZZ_CHECK(again->cluster_nodes[i].host == endpoint->cluster_nodes[i].host);
  }
  if (!endpoint->is_unix()) {
    FUZZ_CHECK(again->user == endpoint->user);
    FUZZ_CHECK(again->password == endpoint->password);
  }
  return 0;
}
