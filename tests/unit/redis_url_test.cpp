#include <gtest/gtest.h>

#include "redis/redis_url.hpp"

namespace headway::redis {
namespace {

Endpoint parse_ok(std::string_view url) {
  std::string error;
  auto endpoint = parse_redis_url(url, error);
  EXPECT_TRUE(endpoint) << url << ": " << error;
  return endpoint.value_or(Endpoint{});
}

TEST(RedisUrlTest, ParsesHostPortAndDatabase) {
  auto endpoint = parse_ok("redis://cache.internal:6380/3");
  EXPECT_EQ(endpoint.host, "cache.internal");
  EXPECT_EQ(endpoint.port, 6380);
  EXPECT_EQ(endpoint.db, 3);
  EXPECT_TRUE(endpoint.password.empty());
}

TEST(RedisUrlTest, DefaultsToPort6379AndDatabase0) {
  auto endpoint = parse_ok("redis://127.0.0.1");
  EXPECT_EQ(endpoint.port, 6379);
  EXPECT_EQ(endpoint.db, 0);
}

TEST(RedisUrlTest, ParsesUserAndPasswordOrPasswordAlone) {
  auto with_user = parse_ok("redis://worker:s3cret@127.0.0.1:6379");
  EXPECT_EQ(with_user.user, "worker");
  EXPECT_EQ(with_user.password, "s3cret");
  auto password_only = parse_ok("redis://:s3cret@127.0.0.1:6379/1");
  EXPECT_TRUE(password_only.user.empty());
  EXPECT_EQ(password_only.password, "s3cret");
  EXPECT_EQ(password_only.db, 1);
}

TEST(RedisUrlTest, ParsesUnixSocketsWithOptionalDatabase) {
  auto endpoint = parse_ok("unix:///run/redis/redis.sock?db=2");
  EXPECT_TRUE(endpoint.is_unix());
  EXPECT_EQ(endpoint.socket_path, "/run/redis/redis.sock");
  EXPECT_EQ(endpoint.db, 2);
}

// Found by redis_url_fuzzer: Boost.URL 1.81's params() iterator reads past
// an empty query that a fragment follows (`?#x`) until it crashes.
TEST(RedisUrlTest, UnixSocketQueryFollowedByAFragmentReadsOnlyTheQuery) {
  const std::string url = std::string("unix:///run/redis.sock?#") + std::string(40, 'x');
  auto empty_query = parse_ok(url);
  EXPECT_EQ(empty_query.socket_path, "/run/redis.sock");
  EXPECT_EQ(empty_query.db, 0);
  auto with_db = parse_ok("unix:///run/redis.sock?db=2#x");
  EXPECT_EQ(with_db.db, 2);
  auto encoded = parse_ok("unix:///run/redis.sock?other=1&d%62=%33&#");
  EXPECT_EQ(encoded.db, 3);
}

TEST(RedisUrlTest, ParsesTlsUrlsWithTheirFiles) {
  auto endpoint = parse_ok(
      "rediss://:pw@redis.internal:6380/2?cacert=/etc/ca.pem&cert=/etc/c.pem&key=/etc/"
      "k.pem&sni=redis.example");
  EXPECT_TRUE(endpoint.tls);
  EXPECT_EQ(endpoint.host, "redis.internal");
  EXPECT_EQ(endpoint.port, 6380);
  EXPECT_EQ(endpoint.db, 2);
  EXPECT_EQ(endpoint.password, "pw");
  EXPECT_EQ(endpoint.tls_options.ca_file, "/etc/ca.pem");
  EXPECT_EQ(endpoint.tls_options.cert_file, "/etc/c.pem");
  EXPECT_EQ(endpoint.tls_options.key_file, "/etc/k.pem");
  EXPECT_EQ(endpoint.tls_options.server_name, "redis.example");
  EXPECT_EQ(endpoint.display(), "redis.internal:6380 (TLS)");
  auto system_roots = parse_ok("rediss://redis.internal");
  EXPECT_TRUE(system_roots.tls);
  EXPECT_TRUE(system_roots.tls_options.ca_file.empty());
  EXPECT_FALSE(parse_ok("redis://127.0.0.1").tls);
}

TEST(RedisUrlTest, ParsesSentinelUrls) {
  auto endpoint = parse_ok(
      "redis+sentinel://app:s3cret@10.0.0.1:26380,[::1],sentinel-3:5000/my%20master?db=4&"
      "sentinel_password=sp&sentinel_user=su");
  EXPECT_TRUE(endpoint.is_sentinel());
  EXPECT_FALSE(endpoint.tls);
  ASSERT_EQ(endpoint.sentinels.size(), 3u);
  EXPECT_EQ(endpoint.sentinels[0], (HostPort{"10.0.0.1", 26380}));
  EXPECT_EQ(endpoint.sentinels[1], (HostPort{"::1", 26379}));
  EXPECT_EQ(endpoint.sentinels[2], (HostPort{"sentinel-3", 5000}));
  EXPECT_EQ(endpoint.master_name, "my master");
  EXPECT_EQ(endpoint.user, "app");
  EXPECT_EQ(endpoint.password, "s3cret");
  EXPECT_EQ(endpoint.db, 4);
  EXPECT_EQ(endpoint.sentinel_user, "su");
  EXPECT_EQ(endpoint.sentinel_password, "sp");
  EXPECT_EQ(endpoint.display(), "master my master via 10.0.0.1:26380,[::1]:26379,sentinel-3:5000");
  EXPECT_EQ(endpoint.display().find("s3cret"), std::string::npos);
  auto tls = parse_ok("rediss+sentinel://s1/m?cacert=/ca.pem");
  EXPECT_TRUE(tls.tls);
  EXPECT_EQ(tls.tls_options.ca_file, "/ca.pem");
  EXPECT_EQ(tls.sentinels, (std::vector<HostPort>{{"s1", 26379}}));
}

TEST(RedisUrlTest, RejectsBadTlsAndSentinelUrlsWithAReason) {
  for (const char* url :
       {"rediss://h?cacert=/a&verify=no", "rediss://h?cert=/c.pem", "rediss://h?key=/k.pem",
        "redis+sentinel://s1:26379", "redis+sentinel://s1:26379/", "redis+sentinel://s1/a/b",
        "redis+sentinel://s1,,s2/m", "redis+sentinel://s1:0/m", "redis+sentinel://s1:70x5/m",
        "redis+sentinel:///m", "redis+sentinel://s1/m?db=x", "redis+sentinel://s1/m?cacert=/a",
        "redis+sentinel://a%2Cb/m", "redis+sentinel://s1/m?sentinel_pasword=x",
        // Found by redis_url_fuzzer: a name that decodes to a colon.
        "redis+sentinel://10.0.0.2%3A:26379/m"}) {
    std::string error;
    EXPECT_FALSE(parse_redis_url(url, error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
  std::string error;
  parse_redis_url("rediss://h?verify=no", error);
  EXPECT_NE(error.find("unknown parameter 'verify'"), std::string::npos) << error;
}

TEST(RedisUrlTest, ParsesClusterUrls) {
  auto endpoint = parse_ok("redis+cluster://app:s3cret@10.0.0.1:7000,[::1],node-3:7002");
  EXPECT_TRUE(endpoint.is_cluster());
  EXPECT_FALSE(endpoint.is_sentinel());
  EXPECT_FALSE(endpoint.tls);
  EXPECT_EQ(endpoint.cluster_nodes,
            (std::vector<HostPort>{{"10.0.0.1", 7000}, {"::1", 6379}, {"node-3", 7002}}));
  EXPECT_EQ(endpoint.user, "app");
  EXPECT_EQ(endpoint.password, "s3cret");
  EXPECT_EQ(endpoint.db, 0);
  EXPECT_EQ(endpoint.display(), "cluster via 10.0.0.1:7000,[::1]:6379,node-3:7002");
  auto tls = parse_ok("rediss+cluster://n1:7000/?cacert=/ca.pem&sni=redis.internal");
  EXPECT_TRUE(tls.tls);
  EXPECT_EQ(tls.tls_options.ca_file, "/ca.pem");
  EXPECT_EQ(tls.tls_options.server_name, "redis.internal");
  EXPECT_EQ(tls.cluster_nodes, (std::vector<HostPort>{{"n1", 7000}}));
  EXPECT_EQ(tls.display(), "cluster via n1:7000 (TLS)");
}

TEST(RedisUrlTest, RejectsBadClusterUrlsWithAReason) {
  for (const char* url : {"redis+cluster://", "redis+cluster://n1,,n2", "redis+cluster://n1:0",
                          "redis+cluster://n1:70x5", "redis+cluster://n1/2",
                          "redis+cluster://n1?db=2", "redis+cluster://n1?cacert=/a",
                          "rediss+cluster://n1?cert=/c.pem", "redis+cluster://a%2Cb"}) {
    std::string error;
    EXPECT_FALSE(parse_redis_url(url, error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

TEST(RedisUrlTest, DisplayLeavesOutTheCredentials) {
  auto endpoint = parse_ok("redis://u:topsecret@10.0.0.1:7000");
  EXPECT_EQ(endpoint.display().find("topsecret"), std::string::npos);
}

TEST(RedisUrlTest, RejectsBadUrlsWithAReason) {
  for (const char* url :
       {"http://127.0.0.1:6379", "redis://127.0.0.1:99999", "redis://127.0.0.1:6379/abc",
        "unix://relative.sock", "not a url", "redis://127.0.0.1:6379/-1",
        // Found by redis_url_fuzzer: read as port 70 and database 5.
        "redis://127.0.0.1:70x5", "redis://[::1]:70v553500"}) {
    std::string error;
    EXPECT_FALSE(parse_redis_url(url, error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

}  // namespace
}  // namespace headway::redis
