#include "redis/redis_url.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <charconv>
#include <vector>

namespace headway::redis {
namespace {

std::optional<int> parse_int(std::string_view text, int min, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// A URL query's parameters, decoded, in order (`name` alone has the value "").
// A part that does not decode keeps its raw text as its name and has no value.
// Boost.URL 1.81's params() iterator runs past the end of the query when a
// fragment follows it (`?#x` reads out of bounds, `?db=2#x` yields "2#x"),
// so the query is split here.
struct QueryParameter {
  std::string name;
  std::optional<std::string> value;
};

std::vector<QueryParameter> query_parameters(std::string_view query) {
  std::vector<QueryParameter> parameters;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto equals = pair.find('=');
    QueryParameter parameter;
    const auto name = boost::urls::make_pct_string_view(pair.substr(0, equals));
    parameter.name = name ? std::string(name->decode()) : std::string(pair);
    const auto value = equals == std::string_view::npos
                           ? boost::urls::make_pct_string_view("")
                           : boost::urls::make_pct_string_view(pair.substr(equals + 1));
    if (name && value)
      parameter.value = value->decode();
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

// The decoded value of the last `key=` parameter in a URL's query.
std::optional<std::string> query_value(const boost::urls::url_view& url, std::string_view key) {
  std::optional<std::string> found;
  for (auto& parameter : query_parameters(url.encoded_query())) {
    if (parameter.name == key && parameter.value)
      found = std::move(parameter.value);
  }
  return found;
}

// Refuses a parameter not in `known`, so a misspelt option is not ignored.
bool only_known_parameters(const boost::urls::url_view& url,
                           const std::vector<std::string_view>& known, std::string& error) {
  for (const auto& parameter : query_parameters(url.encoded_query())) {
    if (parameter.name.empty())
      continue;
    if (std::find(known.begin(), known.end(), parameter.name) == known.end()) {
      std::string list;
      for (auto k : known)
        list += (list.empty() ? "" : ", ") + std::string(k);
      error = "unknown parameter '" + parameter.name + "' in the Redis URL (known: " + list + ")";
      return false;
    }
  }
  return true;
}

bool read_database(std::string_view text, Endpoint& endpoint, std::string& error) {
  const auto db = parse_int(text, 0, 1 << 20);
  if (!db) {
    error = "database number must be a non-negative integer, got '" + std::string(text) + "'";
    return false;
  }
  endpoint.db = *db;
  return true;
}

bool read_database_parameter(const boost::urls::url_view& url, Endpoint& endpoint,
                             std::string& error) {
  const auto value = query_value(url, "db");
  return !value || read_database(*value, endpoint, error);
}

bool read_tls_options(const boost::urls::url_view& url, TlsOptions& tls, std::string& error) {
  tls.ca_file = query_value(url, "cacert").value_or("");
  tls.cert_file = query_value(url, "cert").value_or("");
  tls.key_file = query_value(url, "key").value_or("");
  tls.server_name = query_value(url, "sni").value_or("");
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    error = "a client certificate needs both cert= and key=";
    return false;
  }
  return true;
}

// Checks the query against `known` (plus the TLS options when `endpoint.tls`)
// and reads the TLS options.
bool read_query_options(const boost::urls::url_view& url, std::vector<std::string_view> known,
                        Endpoint& endpoint, std::string& error) {
  if (endpoint.tls)
    known.insert(known.end(), {"cacert", "cert", "key", "sni"});
  return only_known_parameters(url, known, error) &&
         (!endpoint.tls || read_tls_options(url, endpoint.tls_options, error));
}

std::optional<int> read_port(const boost::urls::url_view& url, int otherwise, std::string& error) {
  if (!url.has_port())
    return otherwise;
  auto port = parse_int(std::string_view(url.port()), 1, 65535);
  if (!port)
    error = "port must be 1-65535, got '" + std::string(url.port()) + "'";
  return port;
}

// One `host[:port]` of a Sentinel or cluster node list (`what` names it).
std::optional<HostPort> parse_list_address(std::string_view text, int default_port,
                                           std::string_view what, std::string& error) {
  const std::string as_url = "redis://" + std::string(text);
  auto parsed = boost::urls::parse_uri(as_url);
  if (!parsed || parsed->has_userinfo() || !parsed->path().empty() || parsed->has_query() ||
      parsed->has_fragment() || parsed->host_address().empty() ||
      parsed->host_type() == boost::urls::host_type::ipvfuture) {
    error =
        "not a " + std::string(what) + " address: '" + std::string(text) + "' (use host[:port])";
    return std::nullopt;
  }
  HostPort address{parsed->host_address(), default_port};
  // A host name or an IP address; nothing that would need encoding back.
  const bool ipv6 = parsed->host_type() == boost::urls::host_type::ipv6;
  const bool plain = std::all_of(address.host.begin(), address.host.end(), [ipv6](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_' || (ipv6 && c == ':');
  });
  if (!plain) {
    error = "not a " + std::string(what) + " host: '" + address.host + "'";
    return std::nullopt;
  }
  const auto port = read_port(*parsed, default_port, error);
  if (!port)
    return std::nullopt;
  address.port = *port;
  return address;
}

// The parts of a URL whose authority lists several hosts:
// scheme://[userinfo@]host[:port][,host[:port]...][rest].
struct HostList {
  std::string_view userinfo;  // with its '@', or empty
  std::string_view hosts;
  std::string_view rest;  // path, query and fragment
};

HostList split_host_list(std::string_view text) {
  const auto rest = text.substr(text.find("://") + 3);
  const auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const auto authority = rest.substr(0, authority_end);
  const auto at = authority.rfind('@');
  return {at == std::string_view::npos ? std::string_view() : authority.substr(0, at + 1),
          at == std::string_view::npos ? authority : authority.substr(at + 1),
          rest.substr(authority_end)};
}

std::optional<std::vector<HostPort>> parse_host_list(std::string_view hosts, int default_port,
                                                     std::string_view what, std::string& error) {
  std::vector<HostPort> list;
  while (true) {
    const auto comma = hosts.find(',');
    auto address = parse_list_address(hosts.substr(0, comma), default_port, what, error);
    if (!address)
      return std::nullopt;
    list.push_back(std::move(*address));
    if (comma == std::string_view::npos)
      return list;
    hosts = hosts.substr(comma + 1);
  }
}

// A URL whose authority lists several hosts (Sentinels, cluster nodes):
// Boost.URL takes one host per authority, so the list is split off here and
// the rest (credentials, path, query) parsed with one placeholder host.
// Fills in `endpoint`'s TLS flag and credentials; returns the rest as a URL.
std::optional<boost::urls::url> parse_multi_host_url(std::string_view text, bool tls,
                                                     int default_port, std::string_view what,
                                                     std::vector<HostPort>& hosts,
                                                     Endpoint& endpoint, std::string& error) {
  const auto parts = split_host_list(text);
  endpoint.tls = tls;
  endpoint.port = 0;
  auto list = parse_host_list(parts.hosts, default_port, what, error);
  if (!list)
    return std::nullopt;
  hosts = std::move(*list);
  const std::string rebuilt =
      "redis://" + std::string(parts.userinfo) + "placeholder" + std::string(parts.rest);
  auto parsed = boost::urls::parse_uri(rebuilt);
  if (!parsed) {
    error = "not a valid URL: '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (parsed->has_userinfo()) {
    endpoint.user = parsed->user();
    endpoint.password = parsed->password();
  }
  return boost::urls::url(*parsed);
}

// redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/master[?...]
std::optional<Endpoint> parse_sentinel_url(std::string_view text, bool tls, std::string& error) {
  Endpoint endpoint;
  const auto url =
      parse_multi_host_url(text, tls, 26379, "Sentinel", endpoint.sentinels, endpoint, error);
  if (!url)
    return std::nullopt;
  const std::string path = url->path();
  if (path.size() < 2 || path.front() != '/' || path.find('/', 1) != std::string::npos) {
    error = "a Sentinel URL names the master: redis+sentinel://host:26379/mymaster";
    return std::nullopt;
  }
  endpoint.master_name = path.substr(1);
  if (!read_query_options(*url, {"db", "sentinel_user", "sentinel_password"}, endpoint, error) ||
      !read_database_parameter(*url, endpoint, error))
    return std::nullopt;
  endpoint.sentinel_user = query_value(*url, "sentinel_user").value_or("");
  endpoint.sentinel_password = query_value(*url, "sentinel_password").value_or("");
  return endpoint;
}

// redis+cluster://[[user]:password@]host[:port][,host[:port]...][/][?...]
// A cluster has database 0 only, so no db.
std::optional<Endpoint> parse_cluster_url(std::string_view text, bool tls, std::string& error) {
  Endpoint endpoint;
  const auto url = parse_multi_host_url(text, tls, 6379, "cluster node", endpoint.cluster_nodes,
                                        endpoint, error);
  if (!url)
    return std::nullopt;
  if (!url->path().empty() && url->path() != "/") {
    error = "a cluster URL names no database (a Redis Cluster has database 0 only)";
    return std::nullopt;
  }
  if (!read_query_options(*url, {}, endpoint, error))
    return std::nullopt;
  return endpoint;
}

}  // namespace

std::string HostPort::display() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::display() const {
  if (is_unix())
    return "unix://" + socket_path;
  if (is_sentinel()) {
    std::string out = "master " + master_name + " via ";
    for (std::size_t i = 0; i < sentinels.size(); ++i)
      out += (i ? "," : "") + sentinels[i].display();
    return tls ? out + " (TLS)" : out;
  }
  if (is_cluster()) {
    std::string out = "cluster via ";
    for (std::size_t i = 0; i < cluster_nodes.size(); ++i)
      out += (i ? "," : "") + cluster_nodes[i].display();
    return tls ? out + " (TLS)" : out;
  }
  const std::string address = host + ":" + std::to_string(port);
  return tls ? address + " (TLS)" : address;
}

std::optional<Endpoint> parse_redis_url(std::string_view text, std::string& error) {
  if (text.starts_with("redis+sentinel://"))
    return parse_sentinel_url(text, false, error);
  if (text.starts_with("rediss+sentinel://"))
    return parse_sentinel_url(text, true, error);
  if (text.starts_with("redis+cluster://"))
    return parse_cluster_url(text, false, error);
  if (text.starts_with("rediss+cluster://"))
    return parse_cluster_url(text, true, error);
  auto parsed = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
  if (!parsed) {
    error = "not a valid URL: '" + std::string(text) + "'";
    return std::nullopt;
  }
  const auto& url = *parsed;
  Endpoint endpoint;
  const std::string scheme(url.scheme());
  if (url.has_userinfo()) {
    endpoint.user = url.user();
    endpoint.password = url.password();
  }
  if (scheme == "unix") {
    endpoint.socket_path = url.path();
    if (endpoint.socket_path.empty() || endpoint.socket_path.front() != '/') {
      error = "unix:// URL needs an absolute socket path, e.g. unix:///run/redis.sock";
      return std::nullopt;
    }
    if (!read_database_parameter(url, endpoint, error))
      return std::nullopt;
    return endpoint;
  }
  if (scheme != "redis" && scheme != "rediss") {
    error = "unsupported scheme '" + scheme +
            "' (use redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster://, "
            "rediss+cluster:// or unix://)";
    return std::nullopt;
  }
  endpoint.tls = scheme == "rediss";
  if (endpoint.tls && !read_query_options(url, {}, endpoint, error))
    return std::nullopt;
  endpoint.host = url.host_address();
  if (endpoint.host.empty()) {
    error = scheme + ":// URL needs a host";
    return std::nullopt;
  }
  const auto port = read_port(url, endpoint.port, error);
  if (!port)
    return std::nullopt;
  endpoint.port = *port;
  std::string path = url.path();
  if (!path.empty() && path.front() != '/') {
    // Boost.URL 1.81 reads redis://host:70x5 as port 70 and path "x5".
    error = "not a valid URL: '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (!path.empty() && path != "/" &&
      !read_database(std::string_view(path).substr(1), endpoint, error))
    return std::nullopt;
  return endpoint;
}

}  // namespace headway::redis
