// Redis behind Sentinel (redis+sentinel://) and over TLS (rediss://): the
// Tracker writes and `headway serve` streams through either, and both follow
// a failover: the master killed, the replica promoted, writes resume on it
// and the stream gets the later updates and `done`.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

#include "core/uuid.hpp"
#include "headway/tracker.hpp"
#include "redis/keys.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

json::object record_of(const SseEvent& event) {
  return json::parse(event.data).as_object();
}

// Reads progress events until one satisfies `wanted` (each must be newer
// than the last), at most `limit` of them; returns it or nullopt.
template <typename Wanted>
std::optional<json::object> progress_until(SseClient& client, std::int64_t& last_seq, Wanted wanted,
                                           int limit = 100) {
  for (int i = 0; i < limit; ++i) {
    auto event = client.next(60s);
    if (!event || event->event != "progress")
      return std::nullopt;
    auto record = record_of(*event);
    const auto seq = record.at("seq").as_int64();
    EXPECT_GT(seq, last_seq) << "seq must increase on a stream";
    last_seq = seq;
    if (wanted(record))
      return record;
  }
  return std::nullopt;
}

bool in_stage(const json::object& record, std::string_view stage) {
  return record.at("stage").as_string() == stage;
}

class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    replicate(replica_, master_);
    sentinel_ = std::make_unique<RedisSentinel>(master_);
    // The Sentinel learns of the replica from the master's INFO; it can only
    // promote a replica it knows.
    ASSERT_TRUE(eventually([&] { return sentinel_->known_replicas() == 1; }, 60s));
  }

  // The first Sentinel listed is not running: discovery must go on to the next.
  std::string url() const {
    return "redis+sentinel://127.0.0.1:" + std::to_string(free_loopback_port()) +
           ",127.0.0.1:" + std::to_string(sentinel_->port()) + "/" + RedisSentinel::kMasterName;
  }

  // SIGKILLs the master and waits until the Sentinel names the replica.
  void fail_over() {
    master_.kill();
    ASSERT_TRUE(eventually([&] { return sentinel_->master_port() == replica_.port(); }, 120s))
        << "the Sentinel never promoted the replica";
  }

  RedisServer master_;
  RedisServer replica_;
  std::unique_ptr<RedisSentinel> sentinel_;
  const std::string job_id_ = make_uuid();
};

TEST_F(RedisSentinelTest, AConnectionFindsTheMasterAndFollowsAFailover) {
  std::string error;
  auto endpoint = redis::parse_redis_url(url(), error);
  ASSERT_TRUE(endpoint) << error;
  auto connection = redis::Connection::open(*endpoint, {}, error);
  ASSERT_TRUE(connection) << error;
  auto set = connection->command({"SET", "where", "before"});
  ASSERT_TRUE(set.ok() && !set.is_error_reply()) << set.error;
  EXPECT_EQ(master_.get("where"), "before");

  fail_over();
  // The first command after the master died may fail (its reply lost); the
  // next ones go to the promoted replica.
  bool written = false;
  for (int attempt = 0; attempt < 10 && !written; ++attempt) {
    auto again = connection->command({"SET", "where", "after"});
    written = again.ok() && !again.is_error_reply();
  }
  ASSERT_TRUE(written);
  EXPECT_EQ(replica_.get("where"), "after");
  auto role = connection->command({"ROLE"});
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(std::string(role.reply->element[0]->str), "master");
}

// The master turned into a replica behind the Sentinel's back, its clients
// left connected: the READONLY write is taken as a sign to ask again, and a
// server that says it is no master is not used.
TEST_F(RedisSentinelTest, AReadonlyReplyLeadsToANewDiscoveryThatRefusesAReplica) {
  std::string error;
  auto endpoint = redis::parse_redis_url(url(), error);
  ASSERT_TRUE(endpoint) << error;
  auto connection = redis::Connection::open(*endpoint, {}, error);
  ASSERT_TRUE(connection) << error;
  ASSERT_FALSE(connection->command({"SET", "where", "master"}).is_error_reply());
  replica_.command({"REPLICAOF", "NO", "ONE"});
  replicate(master_, replica_);
  const auto reconnects = connection->reconnects();
  auto refused = connection->command({"SET", "where", "demoted"});
  ASSERT_FALSE(refused.ok() && !refused.is_error_reply());
  EXPECT_GT(connection->reconnects() + (connection->broken() ? 1 : 0), reconnects);
  EXPECT_NE(refused.error.find("is not a master"), std::string::npos) << refused.error;
}

TEST_F(RedisSentinelTest, AnUnknownMasterNameIsRefusedWithTheSentinelsAnswer) {
  std::string error;
  auto endpoint = redis::parse_redis_url(
      "redis+sentinel://127.0.0.1:" + std::to_string(sentinel_->port()) + "/nosuchmaster", error);
  ASSERT_TRUE(endpoint) << error;
  EXPECT_FALSE(redis::Connection::open(*endpoint, {}, error));
  EXPECT_NE(error.find("does not know the master 'nosuchmaster'"), std::string::npos) << error;
}

TEST_F(RedisSentinelTest, TheTrackerAndTheStreamCarryOnAcrossAFailover) {
  ServeOptions options;
  options.redis_url = url();
  ServeProcess serve(master_, {"--redis-retry-max", "2s"}, options);
  TrackerOptions tracker_options;
  tracker_options.terminal_timeout = 120s;
  Tracker tracker(RedisConfig::from_url(url()), job_id_, StagePlan::reference(), tracker_options);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));

  SseClient client(serve.port(), stream_path(job_id_), serve.auth());
  ASSERT_EQ(client.status(), 200);
  auto connected = client.next();
  ASSERT_TRUE(connected);
  ASSERT_EQ(connected->event, "connected");
  std::int64_t last_seq = 0;
  ASSERT_TRUE(progress_until(client, last_seq, [](auto& r) { return in_stage(r, "loading"); }));
  ASSERT_TRUE(tracker.update_stage_progress(1, 2));
  ASSERT_TRUE(tracker.flush(30s));
  ASSERT_TRUE(progress_until(client, last_seq, [](auto& r) {
    return in_stage(r, "loading") && r.at("stage_progress").template to_number<double>() == 50;
  }));

  fail_over();
  ASSERT_TRUE(tracker.complete_stage());
  ASSERT_TRUE(tracker.start_stage("clustering"));
  ASSERT_TRUE(tracker.update_stage_progress(3, 4));
  ASSERT_TRUE(tracker.flush(120s));
  auto stored = replica_.get(redis::keys::record(job_id_));
  ASSERT_TRUE(stored);
  EXPECT_TRUE(in_stage(json::parse(*stored).as_object(), "clustering"));
  // The stream gets the update written to the new master (through the
  // re-subscription there, or the snapshot read when it comes back).
  ASSERT_TRUE(progress_until(client, last_seq, [](auto& r) {
    return in_stage(r, "clustering") && r.at("stage_progress").template to_number<double>() == 75;
  })) << serve.log();

  ASSERT_TRUE(tracker.mark_completed());
  auto completed = progress_until(
      client, last_seq, [](auto& r) { return r.at("status").as_string() == "completed"; });
  ASSERT_TRUE(completed) << serve.log();
  auto done = client.next(60s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->event, "done");
  EXPECT_EQ(record_of(*done).at("status").as_string(), "completed");
  EXPECT_TRUE(client.closed());
}

class RedisTlsTest : public ::testing::Test {
 protected:
  // A connection to `redis` over TLS with `query` as the URL's parameters;
  // the result of a SET on it (or of the connect when that failed).
  redis::CommandResult set_over(const RedisServer& redis, const std::string& query) {
    std::string error;
    auto endpoint =
        redis::parse_redis_url("rediss://127.0.0.1:" + std::to_string(redis.port()) + query, error);
    EXPECT_TRUE(endpoint) << error;
    redis::CommandResult result;
    auto connection = redis::Connection::open(*endpoint, {}, error);
    if (!connection) {
      result.error = error;
      return result;
    }
    return connection->command({"SET", "tls", "yes"});
  }

  TestCertificates certificates_;
  const std::string job_id_ = make_uuid();
};

TEST_F(RedisTlsTest, TheTrackerWritesAndTheServerStreamsOverMutualTls) {
  RedisServer redis({}, RedisServer::Tls{&certificates_, true});
  ServeProcess serve(redis);
  Tracker tracker(RedisConfig::from_url(redis.url()), job_id_);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  SseClient client(serve.port(), stream_path(job_id_), serve.auth());
  ASSERT_EQ(client.status(), 200);
  auto connected = client.next();
  ASSERT_TRUE(connected);
  ASSERT_EQ(connected->event, "connected");
  std::int64_t last_seq = 0;
  ASSERT_TRUE(progress_until(client, last_seq, [](auto& r) { return in_stage(r, "loading"); }));
  ASSERT_TRUE(tracker.complete_stage());
  ASSERT_TRUE(tracker.start_stage("clustering"));
  ASSERT_TRUE(tracker.update_stage_progress(1, 4));
  ASSERT_TRUE(tracker.flush(30s));
  ASSERT_TRUE(progress_until(client, last_seq, [](auto& r) {
    return in_stage(r, "clustering") && r.at("stage_progress").template to_number<double>() == 25;
  }));
  ASSERT_TRUE(tracker.mark_completed());
  ASSERT_TRUE(progress_until(client, last_seq,
                             [](auto& r) { return r.at("status").as_string() == "completed"; }));
  auto done = client.next(60s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->event, "done");
  EXPECT_TRUE(client.closed());
  auto stored = redis.get(redis::keys::record(job_id_));
  ASSERT_TRUE(stored);
  EXPECT_EQ(json::parse(*stored).as_object().at("status").as_string(), "completed");
}

TEST_F(RedisTlsTest, AWorkerRunsAJobOverMutualTls) {
  RedisServer redis({}, RedisServer::Tls{&certificates_, true});
  ServeProcess serve(redis);
  TempDir dir;
  auto worker =
      ChildProcess::spawn({headway_bin(), "worker", "--redis", redis.url(), "--db", serve.db_url()},
                          dir.path() / "worker.log");
  auto created = http_send(serve.port(), "POST", "/api/generation-jobs/generate/", serve.auth(),
                           R"({"type":"timetable","params":{"clusters":2,"duration_s":1}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::parse(created.body).as_object().at("id").as_string());
  SseClient client(serve.port(), stream_path(id), serve.auth());
  ASSERT_EQ(client.status(), 200);
  std::optional<SseEvent> event;
  for (int i = 0; i < 1000 && (event = client.next(60s)) && event->event != "done"; ++i) {
  }
  ASSERT_TRUE(event) << serve.log();
  ASSERT_EQ(event->event, "done");
  EXPECT_EQ(record_of(*event).at("status").as_string(), "completed");
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(), 0);
}

TEST_F(RedisTlsTest, AServerCertificateFromAnotherCaIsRefusedWithTheReason) {
  RedisServer redis({}, RedisServer::Tls{&certificates_, false});
  auto refused = set_over(redis, "?cacert=" + certificates_.other_ca().string());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error.find("TLS handshake failed"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("certificate verif"), std::string::npos) << refused.error;
  auto accepted = set_over(redis, "?cacert=" + certificates_.ca().string());
  ASSERT_TRUE(accepted.ok()) << accepted.error;
  EXPECT_FALSE(accepted.is_error_reply());
}

TEST_F(RedisTlsTest, TheCertificateIsCheckedForTheSniNameWhenGiven) {
  RedisServer redis({}, RedisServer::Tls{&certificates_, false});
  const std::string ca = "?cacert=" + certificates_.ca().string();
  auto named = set_over(redis, ca + "&sni=localhost");
  EXPECT_TRUE(named.ok()) << named.error;
  auto misnamed = set_over(redis, ca + "&sni=other.example");
  ASSERT_FALSE(misnamed.ok());
  EXPECT_NE(misnamed.error.find("TLS handshake failed"), std::string::npos) << misnamed.error;
}

TEST_F(RedisTlsTest, ARedisThatRequiresAClientCertificateRefusesAClientWithout) {
  RedisServer redis({}, RedisServer::Tls{&certificates_, true});
  const std::string ca = "?cacert=" + certificates_.ca().string();
  auto without = set_over(redis, ca);
  EXPECT_FALSE(without.ok() && !without.is_error_reply());
  EXPECT_FALSE(without.error.empty());
  auto with = set_over(redis, ca + "&cert=" + certificates_.client_cert().string() +
                                  "&key=" + certificates_.client_key().string());
  ASSERT_TRUE(with.ok()) << with.error;
  EXPECT_FALSE(with.is_error_reply());
  EXPECT_EQ(redis.get("tls"), "yes");
}

TEST_F(RedisTlsTest, SentinelOverTlsNamesAMasterReachedOverTls) {
  RedisServer master({"--tls-replication", "yes"}, RedisServer::Tls{&certificates_, false});
  RedisSentinel sentinel(master, &certificates_);
  std::string error;
  auto endpoint = redis::parse_redis_url(
      "rediss+sentinel://127.0.0.1:" + std::to_string(sentinel.port()) + "/" +
          RedisSentinel::kMasterName + "?cacert=" + certificates_.ca().string(),
      error);
  ASSERT_TRUE(endpoint) << error;
  auto connection = redis::Connection::open(*endpoint, {}, error);
  ASSERT_TRUE(connection) << error;
  auto set = connection->command({"SET", "tls", "sentinel"});
  ASSERT_TRUE(set.ok() && !set.is_error_reply()) << set.error;
  EXPECT_EQ(master.get("tls"), "sentinel");
}

}  // namespace
}  // namespace headway::test
