// The blocking Redis connection against a real redis-server: a connection
// that Redis closed is re-established before the next command, and a command
// is never sent twice.
#include <gtest/gtest.h>

#include "support/redis_server.hpp"

namespace headway::test {
namespace {

long long stream_length(const RedisServer& redis) {
  return redis.command({"XLEN", "reconnect-test"}).reply->integer;
}

void expect_added_once(redis::Connection& connection, const RedisServer& redis) {
  auto added = connection.command({"XADD", "reconnect-test", "*", "field", "value"});
  ASSERT_TRUE(added.ok()) << added.error;
  EXPECT_FALSE(added.is_error_reply()) << added.error_reply();
  EXPECT_FALSE(connection.broken());
  EXPECT_EQ(connection.reconnects(), 1u);
  EXPECT_EQ(stream_length(redis), 1);
}

TEST(RedisConnectionTest, TheFirstCommandAfterRedisWasKilledAndRestartedSucceedsOnce) {
  RedisServer redis;
  auto connection = redis.connect();
  ASSERT_TRUE(connection->command({"PING"}).ok());
  redis.kill();
  redis.start();
  expect_added_once(*connection, redis);
}

TEST(RedisConnectionTest, TheFirstCommandAfterACleanRestartSucceedsOnce) {
  RedisServer redis;
  auto connection = redis.connect();
  ASSERT_TRUE(connection->command({"PING"}).ok());
  redis.stop();
  redis.start();
  expect_added_once(*connection, redis);
}

TEST(RedisConnectionTest, AConnectionRedisClosedIsReplacedBeforeTheNextCommand) {
  RedisServer redis({"--requirepass", "secret-pw"});
  auto connection = redis.connect();
  auto id = connection->command({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok());
  auto killed = redis.command({"CLIENT", "KILL", "ID", std::to_string(id.reply->integer)});
  ASSERT_EQ(killed.reply->integer, 1);
  // The new connection is authenticated as the old one was.
  expect_added_once(*connection, redis);
}

// A command whose reply never came may have run: it is not sent again.
TEST(RedisConnectionTest, ACommandWhoseReplyIsLostIsNotSentAgain) {
  RedisServer redis;
  std::string error;
  const redis::Endpoint endpoint = redis.endpoint();
  auto connection = redis::Connection::open(
      endpoint, {std::chrono::milliseconds(1000), std::chrono::milliseconds(200)}, error);
  ASSERT_TRUE(connection) << error;
  // Writes wait until the pause ends, so the XADD's reply cannot arrive in time.
  auto paused = redis.command({"CLIENT", "PAUSE", "600000", "WRITE"});
  ASSERT_TRUE(paused.ok() && !paused.is_error_reply());
  auto added = connection->command({"XADD", "reconnect-test", "*", "field", "value"});
  EXPECT_FALSE(added.ok());
  EXPECT_TRUE(connection->broken());
  ASSERT_TRUE(redis.command({"CLIENT", "UNPAUSE"}).ok());
  // The one XADD sent runs once the pause ends; the next command reconnects.
  EXPECT_TRUE(eventually([&] { return stream_length(redis) == 1; }));
  auto pong = connection->command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.error;
  EXPECT_EQ(connection->reconnects(), 1u);
  EXPECT_EQ(stream_length(redis), 1);
}

}  // namespace
}  // namespace headway::test
