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
