// The server run in-process, for what needs a hook into it: a record written
// between the subscription and the snapshot read.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "core/uuid.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

TEST(ServerInProcessTest, ARecordWrittenBetweenSubscribeAndSnapshotIsSentExactlyOnce) {
  RedisServer redis;
  TempDir dir;
  auto config = server::default_config();
  config.listen_port = 0;
  config.redis_url = redis.url();
  config.database_url = "sqlite://" + (dir.path() / "jobs.db").string();
  config.threads = 2;
  config.recorder = false;
  config.insecure_no_auth = true;  // this test is about the snapshot race, not credentials
  server::Server server(config);
  ASSERT_EQ(server.start(), "");
  // Once the pub/sub connection is up, a new stream's snapshot waits for the
  // subscription's acknowledgement (before that it would be read at once).
  ASSERT_TRUE(
      eventually([&] { return http_get(server.port(), "/api/generation/health/").status == 200; }));

  const std::string job_id = make_uuid();
  RecordWriter writer(redis);
  ASSERT_TRUE(writer.write(make_record(job_id, 1)));
  // After Redis acknowledged the subscription and before the GET: the record
  // reaches the stream both as a message and in the snapshot.
  std::atomic<int> hook_calls{0};
  RecordWriter hook_writer(redis);
  server.set_snapshot_hook([&](const std::string& id) {
    if (id == job_id && hook_calls++ == 0)
      hook_writer.write(make_record(job_id, 2));
  });
  SseClient client(server.port(), "/api/generation/stream/" + job_id + "/");
  ASSERT_EQ(client.next()->event, "connected");
  auto first = client.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, "2");
  ASSERT_TRUE(writer.write(make_record(job_id, 3, JobStatus::completed, 100)));
  auto second = client.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, "3");  // not 2 again
  EXPECT_EQ(client.next()->event, "done");
  EXPECT_EQ(hook_calls.load(), 1);
  server.request_stop();
  EXPECT_EQ(server.wait(), 0);
}

TEST(ServerConfigTest, OptionsParseAndRejectBadValues) {
  auto config = server::default_config();
  EXPECT_EQ(config.listen_port, 8000);
  EXPECT_EQ(config.ping_interval, std::chrono::seconds(15));
  EXPECT_EQ(server::apply_option(config, "listen", "0.0.0.0:9000"), "");
  EXPECT_EQ(config.listen_host, "0.0.0.0");
  EXPECT_EQ(config.listen_port, 9000);
  EXPECT_EQ(server::apply_option(config, "ping-interval", "500ms"), "");
  EXPECT_EQ(config.ping_interval, std::chrono::milliseconds(500));
  EXPECT_NE(server::apply_option(config, "listen", "nonsense"), "");
  EXPECT_NE(server::apply_option(config, "write-timeout", "-1s"), "");
  EXPECT_NE(server::apply_option(config, "access-log", "maybe"), "");
  EXPECT_NE(server::apply_option(config, "no-such-option", "1"), "");
}

// Found by server_config_fuzzer: a duration that fits in milliseconds but
// overflows a timer's nanoseconds was accepted, and one beyond the
// milliseconds came back as garbage.
TEST(ServerConfigTest, DurationsTooLongForATimerAreRefused) {
  auto config = server::default_config();
  EXPECT_NE(server::apply_option(config, "ping-interval", "10000000000000s"), "");
  EXPECT_NE(server::apply_option(config, "session-ttl", "36501d"), "");
  EXPECT_EQ(server::apply_option(config, "session-ttl", "3650d"), "");
  server::Duration parsed{};
  EXPECT_FALSE(server::parse_duration("8888888888888888888887", parsed));
}

}  // namespace
}  // namespace headway::test
