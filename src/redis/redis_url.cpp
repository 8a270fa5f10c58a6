#include "redis/redis_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <charconv>

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

// The decoded value of the last `key=` parameter in a URL's query. Boost.URL
// 1.81's params() iterator runs past the end of the query when a fragment
// follows it (`?#x` reads out of bounds, `?db=2#x` yields "2#x"), so the
// query is split here.
std::optional<std::string> query_value(const boost::urls::url_view& url, std::string_view key) {
  std::optional<std::string> found;
  std::string_view query = url.encoded_query();
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto equals = pair.find('=');
    auto name = boost::urls::make_pct_string_view(pair.substr(0, equals));
    if (!name || name->decode() != key)
      continue;
    const auto value = equals == std::string_view::npos
                           ? boost::urls::make_pct_string_view("")
                           : boost::urls::make_pct_string_view(pair.substr(equals + 1));
    if (value)
      found = value->decode();
  }
  return found;
}

}  // namespace

std::string Endpoint::display() const {
  return is_unix() ? "unix://" + socket_path : host + ":" + std::to_string(port);
}

std::optional<Endpoint> parse_redis_url(std::string_view text, std::string& error) {
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
    if (const auto value = query_value(url, "db")) {
      auto db = parse_int(*value, 0, 1 << 20);
      if (!db) {
        error = "database number must be a non-negative integer, got '" + *value + "'";
        return std::nullopt;
      }
      endpoint.db = *db;
    }
    return endpoint;
  }
  if (scheme != "redis") {
    error = "unsupported scheme '" + scheme + "' (use redis:// or unix://)";
    return std::nullopt;
  }
  endpoint.host = url.host_address();
  if (endpoint.host.empty()) {
    error = "redis:// URL needs a host";
    return std::nullopt;
  }
  if (url.has_port()) {
    auto port = parse_int(std::string_view(url.port()), 1, 65535);
    if (!port) {
      error = "port must be 1-65535, got '" + std::string(url.port()) + "'";
      return std::nullopt;
    }
    endpoint.port = *port;
  }
  std::string path = url.path();
  if (!path.empty() && path.front() != '/') {
    // Boost.URL 1.81 reads redis://host:70x5 as port 70 and path "x5".
    error = "not a valid URL: '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (!path.empty() && path != "/") {
    auto db = parse_int(std::string_view(path).substr(1), 0, 1 << 20);
    if (!db) {
      error = "database number must be a non-negative integer, got '" + path.substr(1) + "'";
      return std::nullopt;
    }
    endpoint.db = *db;
  }
  return endpoint;
}

}  // namespace headway::redis
