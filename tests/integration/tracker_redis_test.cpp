// The Tracker against a real redis-server: what lands in Redis, on the
// channel and on the events stream, and what happens when Redis misbehaves.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <map>
#include <sstream>
#include <thread>

#include "core/uuid.hpp"
#include "headway/manual_clock.hpp"
#include "headway/tracker.hpp"
#include "redis/keys.hpp"
#include "support/channel_listener.hpp"
#include "support/redis_server.hpp"

namespace headway {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class TrackerRedisTest : public ::testing::Test {
 protected:
  RedisConfig config() const { return RedisConfig::from_url(redis_.url()); }
  json::object stored_record(const std::string& job_id) const {
    auto text = redis_.get(redis::keys::record(job_id));
    EXPECT_TRUE(text.has_value()) << "no record for " << job_id;
    return text ? json::parse(*text).as_object() : json::object{};
  }

  // The job's entries in progress:events, oldest first, each as
  // "status stage stage_progress" (e.g. "running loading 100"). Checks that
  // each entry's seq and status fields match the record it carries.
  std::vector<std::string> event_trail(const std::string& job_id) const {
    std::vector<std::string> trail;
    auto events = redis_.command({"XRANGE", redis::keys::kEventsStream, "-", "+"});
    EXPECT_EQ(events.reply->type, REDIS_REPLY_ARRAY);
    for (std::size_t i = 0; i < events.reply->elements; ++i) {
      const redisReply* fields = events.reply->element[i]->element[1];
      std::map<std::string, std::string, std::less<>> entry_fields;
      for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
        entry_fields[std::string(fields->element[f]->str, fields->element[f]->len)] =
            std::string(fields->element[f + 1]->str, fields->element[f + 1]->len);
      }
      if (entry_fields["job_id"] != job_id)
        continue;
      const auto record = json::parse(entry_fields["record"]).as_object();
      EXPECT_EQ(entry_fields["seq"], std::to_string(record.at("seq").as_int64()));
      EXPECT_EQ(entry_fields["status"], record.at("status").as_string());
      std::ostringstream entry;
      entry << record.at("status").as_string().c_str() << ' '
            << record.at("stage").as_string().c_str() << ' '
            << record.at("stage_progress").to_number<double>();
      trail.push_back(entry.str());
    }
    return trail;
  }

  test::RedisServer redis_;
  const std::string job_id_ = make_uuid();
};

using Trail = std::vector<std::string>;

TEST_F(TrackerRedisTest, WritesTheWholeRecordWithATtl) {
  TrackerOptions options;
  options.ttl = 600s;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("cpsat_solving"));
  ASSERT_TRUE(tracker.update_stage_progress(74, 216));
  ASSERT_TRUE(tracker.flush(30s));
  auto record = stored_record(job_id_);
  for (const char* field :
       {"job_id", "stage", "stage_progress", "overall_progress", "status", "eta_seconds",
        "started_at", "last_updated", "seq", "attempt", "stages", "metadata"}) {
    EXPECT_TRUE(record.contains(field)) << field;
  }
  EXPECT_EQ(record.at("job_id").as_string(), job_id_);
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 35.56);
  EXPECT_EQ(record.at("metadata").at("completed_items").as_int64(), 74);
  auto ttl = redis_.command({"TTL", redis::keys::record(job_id_)});
  EXPECT_GT(ttl.reply->integer, 0);
  EXPECT_LE(ttl.reply->integer, 600);
}

TEST_F(TrackerRedisTest, TheRecordExpiresAfterTwoHoursByDefault) {
  Tracker tracker(config(), job_id_);
  ASSERT_TRUE(tracker.flush(30s));
  auto ttl = redis_.command({"TTL", redis::keys::record(job_id_)});
  ASSERT_EQ(ttl.reply->type, REDIS_REPLY_INTEGER);
  EXPECT_GT(ttl.reply->integer, 600);  // more than the shortest TTL the other tests set
  EXPECT_LE(ttl.reply->integer, 7200);
}

TEST_F(TrackerRedisTest, ATrackerDestroyedMidJobFlushesWhatItHas) {
  constexpr std::int64_t kItems = 40;
  {
    Tracker tracker(config(), job_id_);
    ASSERT_TRUE(tracker.start_stage("clustering"));
    ASSERT_TRUE(tracker.update_stage_progress(kItems, kItems));
  }
  auto record = stored_record(job_id_);
  EXPECT_EQ(record.at("status").as_string(), "running");
  EXPECT_EQ(record.at("stage").as_string(), "clustering");
  EXPECT_DOUBLE_EQ(record.at("stage_progress").to_number<double>(), 100);
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 15);
  EXPECT_EQ(record.at("metadata").at("completed_items").as_int64(), kItems);
  EXPECT_EQ(event_trail(job_id_), (Trail{"initializing  0", "running clustering 0"}));
}

TEST_F(TrackerRedisTest, TheReferenceEstimatorsEtaFollowsTheInjectedClock) {
  auto clock = std::make_shared<ManualClock>();
  const double start = clock->now();
  TrackerOptions options;
  options.clock = clock;
  options.eta_estimator = "reference";
  Tracker tracker(config(), job_id_, StagePlan::from_weights({{"work", 100}}), options);
  ASSERT_TRUE(tracker.start_stage("work"));  // 0 % at 0 s
  clock->advance(10);
  ASSERT_TRUE(tracker.update_stage_progress(1, 10));  // 10 % at 10 s: 90 % left at 1 %/s
  ASSERT_TRUE(tracker.flush(30s));
  auto record = stored_record(job_id_);
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 10);
  ASSERT_TRUE(record.at("eta_seconds").is_number()) << json::serialize(record);
  EXPECT_DOUBLE_EQ(record.at("eta_seconds").to_number<double>(), 90);
  EXPECT_DOUBLE_EQ(record.at("started_at").to_number<double>(), start);
  EXPECT_DOUBLE_EQ(record.at("last_updated").to_number<double>(), start + 10);
}

TEST_F(TrackerRedisTest, ASubscriberReceivesEveryStageBoundaryAndTheTerminalRecordInOrder) {
  test::ChannelListener listener(redis_, job_id_);
  const auto plan = StagePlan::reference();
  {
    Tracker tracker(config(), job_id_, plan);
    for (const auto& stage : plan.stages()) {
      ASSERT_TRUE(tracker.start_stage(stage.name));
      // Short of 100 %, so only the completion boundary can carry stage_progress 100.
      for (int i = 1; i < 200; ++i)
        ASSERT_TRUE(tracker.update_stage_progress(i, 200));
      ASSERT_TRUE(tracker.complete_stage());
    }
    ASSERT_TRUE(tracker.mark_completed());
  }
  auto records = listener.wait();
  ASSERT_FALSE(records.empty());
  std::int64_t last_seq = 0;
  double last_overall = 0;
  std::vector<std::string> started;
  std::vector<std::string> completed;
  for (const auto& record : records) {
    EXPECT_GT(record.at("seq").as_int64(), last_seq);
    last_seq = record.at("seq").as_int64();
    EXPECT_GE(record.at("overall_progress").to_number<double>(), last_overall);
    last_overall = record.at("overall_progress").to_number<double>();
    if (record.at("status") != "running")
      continue;
    const double stage_progress = record.at("stage_progress").to_number<double>();
    if (stage_progress == 0)
      started.emplace_back(record.at("stage").as_string());
    if (stage_progress == 100)
      completed.emplace_back(record.at("stage").as_string());
  }
  std::vector<std::string> expected;
  for (const auto& stage : plan.stages())
    expected.push_back(stage.name);
  EXPECT_EQ(started, expected);
  EXPECT_EQ(completed, expected);
  EXPECT_EQ(records.back().at("status").as_string(), "completed");
  EXPECT_EQ(records.back().at("stage").as_string(), "rl_refinement");
  EXPECT_DOUBLE_EQ(records.back().at("overall_progress").to_number<double>(), 100);

  // The durable log holds exactly the boundaries, in order.
  Trail expected_trail = {"initializing  0"};
  for (const auto& stage : plan.stages()) {
    expected_trail.push_back("running " + stage.name + " 0");
    expected_trail.push_back("running " + stage.name + " 100");
  }
  expected_trail.push_back("completed rl_refinement 100");
  EXPECT_EQ(event_trail(job_id_), expected_trail);
}

TEST_F(TrackerRedisTest, AMillionRapidUpdatesEndWithTheExactFinalRecord) {
  Tracker tracker(config(), job_id_);
  ASSERT_TRUE(tracker.start_stage("cpsat_solving"));
  const auto start = std::chrono::steady_clock::now();
  constexpr int kUpdates = 1'000'000;
  for (int i = 1; i <= kUpdates; ++i)
    tracker.update_stage_progress(i, kUpdates);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(tracker.flush(30s));
  EXPECT_LE(tracker.stats().writes, static_cast<std::uint64_t>(elapsed * 10) + 4);
  EXPECT_EQ(tracker.stats().updates, static_cast<std::uint64_t>(kUpdates) + 1);
  auto record = stored_record(job_id_);
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 75);
  EXPECT_DOUBLE_EQ(record.at("stage_progress").to_number<double>(), 100);
  EXPECT_EQ(record.at("metadata").at("completed_items").as_int64(), kUpdates);
}

TEST_F(TrackerRedisTest, WritesNoMoreOftenThanTheConfiguredRate) {
  TrackerOptions options;
  options.max_writes_per_second = 2;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("cpsat_solving"));
  ASSERT_TRUE(tracker.flush(30s));
  const auto writes_before = tracker.stats().writes;
  // A job reporting about every millisecond for two seconds: long enough that
  // the bound below (about 6 writes) is far under what 10 a second would
  // write (about 20).
  const auto start = std::chrono::steady_clock::now();
  std::int64_t done = 0;
  while (std::chrono::steady_clock::now() - start < 2s) {
    ASSERT_TRUE(tracker.update_stage_progress(++done, 1'000'000));
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(tracker.flush(30s));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // At most 2 coalesced writes a second, plus one already due at the start
  // and the final flush.
  const auto writes = tracker.stats().writes - writes_before;
  EXPECT_LE(writes, static_cast<std::uint64_t>(elapsed * 2) + 2) << "in " << elapsed << " s";
  EXPECT_EQ(stored_record(job_id_).at("metadata").at("completed_items").as_int64(), done);
}

TEST_F(TrackerRedisTest, RedisKilledAndRestartedMidJobStillEndsWithTheTerminalRecord) {
  TrackerOptions options;
  options.terminal_timeout = 60s;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  redis_.kill();
  ASSERT_TRUE(tracker.complete_stage());
  ASSERT_TRUE(tracker.start_stage("clustering"));
  for (int i = 1; i <= 1000; ++i)
    ASSERT_TRUE(tracker.update_stage_progress(i, 1000));
  redis_.start();
  // The newest state reaches the restarted server before the job ends.
  ASSERT_TRUE(tracker.flush(60s));
  auto newest = stored_record(job_id_);
  EXPECT_EQ(newest.at("status").as_string(), "running");
  EXPECT_EQ(newest.at("stage").as_string(), "clustering");
  EXPECT_EQ(newest.at("metadata").at("completed_items").as_int64(), 1000);
  ASSERT_TRUE(tracker.mark_completed());
  auto record = stored_record(job_id_);
  EXPECT_EQ(record.at("status").as_string(), "completed");
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 100);
  // The restarted server kept no data (no persistence): its stream holds every
  // boundary from the outage on, in order, none lost to the retries.
  EXPECT_EQ(event_trail(job_id_),
            (Trail{"running loading 100", "running clustering 0", "completed clustering 100"}));
}

TEST_F(TrackerRedisTest, UpdateCallsDoNotWaitForAnUnresponsiveRedis) {
  TrackerOptions options;
  options.terminal_timeout = 60s;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  const auto writes_before = tracker.stats().writes;
  // A stopped (not dead) server: connections hang until the command timeout.
  ::kill(redis_.pid(), SIGSTOP);
  for (int i = 1; i <= 100'000; ++i)
    ASSERT_TRUE(tracker.update_stage_progress(i, 100'000));
  // All updates returned while not a single write could have been acknowledged.
  EXPECT_EQ(tracker.stats().writes, writes_before);
  ::kill(redis_.pid(), SIGCONT);
  ASSERT_TRUE(tracker.mark_completed());
  EXPECT_EQ(stored_record(job_id_).at("status").as_string(), "completed");
}

TEST_F(TrackerRedisTest, SeesTheCancelKeyWhileTheJobIsSilent) {
  TrackerOptions options;
  options.cancel_poll_interval = 100ms;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  EXPECT_FALSE(tracker.cancel_requested());
  redis_.command({"SET", redis::keys::cancel(job_id_), "1", "EX", "600"});
  EXPECT_TRUE(test::eventually([&] { return tracker.cancel_requested(); }, 30s));
  ASSERT_TRUE(tracker.mark_cancelled());
  EXPECT_EQ(stored_record(job_id_).at("status").as_string(), "cancelled");
}

TEST_F(TrackerRedisTest, ContinuesFromTheSeqOfTheServersQueuedRecord) {
  const std::string queued = R"({"job_id":")" + job_id_ +
                             R"(","stage":"","stage_progress":0,"overall_progress":0,)"
                             R"("status":"queued","eta_seconds":null,"seq":7,"attempt":1})";
  redis_.command({"SET", redis::keys::record(job_id_), queued});
  Tracker tracker(config(), job_id_);
  ASSERT_TRUE(tracker.flush(30s));
  auto record = stored_record(job_id_);
  EXPECT_EQ(record.at("status").as_string(), "initializing");
  EXPECT_EQ(record.at("seq").as_int64(), 8);
}

TEST_F(TrackerRedisTest, OverwritesMalformedJsonFoundInRedis) {
  redis_.command({"SET", redis::keys::record(job_id_), "{garbage"});
  Tracker tracker(config(), job_id_);
  ASSERT_TRUE(tracker.flush(30s));
  EXPECT_EQ(stored_record(job_id_).at("seq").as_int64(), 1);
}

// A stored seq past 2^53 - 1 (or no seq at all, or another job's record) once
// either froze the job (every write refused: a double cannot count past it)
// or was overwritten without a word.
TEST_F(TrackerRedisTest, OverwritesAStoredValueThatIsNoRecordOfItsJobAndSaysWhy) {
  const std::string other_job = make_uuid();
  const std::vector<std::pair<std::string, std::string>> poisons = {
      {R"({"job_id":"JOB","status":"running","seq":1e300})", "seq"},
      {R"({"job_id":"JOB","status":"running","seq":9223372036854775807})", "seq"},
      {R"({"job_id":"JOB","status":"running","seq":"abc"})", "seq"},
      {R"({"job_id":"JOB","status":"running","seq":-1})", "seq"},
      {R"({"job_id":"JOB","status":"running","seq":2.5})", "seq"},
      {R"({"job_id":"JOB","status":"exploded","seq":3})", "status"},
      {R"({"job_id":")" + other_job + R"(","status":"running","seq":40})", "job_id"},
      {"{garbage", "JSON"},
  };
  for (const auto& [poison, reason] : poisons) {
    const std::string job_id = make_uuid();
    std::string text = poison;
    if (auto at = text.find("JOB"); at != std::string::npos)
      text.replace(at, 3, job_id);
    redis_.command({"SET", redis::keys::record(job_id), text});
    std::vector<std::string> warnings;
    std::mutex warnings_mutex;
    TrackerOptions options;
    options.on_warning = [&](std::string_view message) {
      std::lock_guard lock(warnings_mutex);
      warnings.emplace_back(message);
    };
    Tracker tracker(config(), job_id, StagePlan::reference(), options);
    auto flushed = tracker.flush(30s);
    ASSERT_TRUE(flushed) << text << ": " << flushed.error();
    const auto record = stored_record(job_id);
    EXPECT_EQ(record.at("job_id").as_string(), job_id) << text;
    EXPECT_EQ(record.at("seq").as_int64(), 1) << text;
    EXPECT_EQ(tracker.stats().replaced_invalid, 1u) << text;
    std::lock_guard lock(warnings_mutex);
    ASSERT_EQ(warnings.size(), 1u) << text;
    EXPECT_NE(warnings[0].find(job_id), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find(reason), std::string::npos) << text << ": " << warnings[0];
  }
}

TEST_F(TrackerRedisTest, AValidStoredRecordOfItsJobIsNoCauseForAWarning) {
  redis_.command({"SET", redis::keys::record(job_id_),
                  R"({"job_id":")" + job_id_ + R"(","status":"queued","seq":9007199254740990})"});
  std::atomic<int> warnings{0};
  TrackerOptions options;
  options.on_warning = [&](std::string_view) { ++warnings; };
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.flush(30s));
  EXPECT_EQ(stored_record(job_id_).at("seq").as_int64(), 9007199254740991);
  EXPECT_EQ(warnings.load(), 0);
  EXPECT_EQ(tracker.stats().replaced_invalid, 0u);
}

TEST_F(TrackerRedisTest, ATerminalWriteToADeadRedisReturnsAnErrorAfterTheTimeout) {
  TrackerOptions options;
  options.terminal_timeout = 300ms;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  redis_.stop();
  ASSERT_TRUE(tracker.start_stage("loading"));
  auto result = tracker.mark_failed("boom");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("did not acknowledge"), std::string::npos) << result.error();
}

TEST(TrackerRedisUrlTest, AuthenticatesAndSelectsTheDatabaseFromTheUrl) {
  test::RedisServer redis({"--requirepass", "open sesame"});
  const std::string job_id = make_uuid();
  {
    Tracker tracker(RedisConfig::from_url(
                        "redis://:open%20sesame@127.0.0.1:" + std::to_string(redis.port()) + "/2"),
                    job_id);
    ASSERT_TRUE(tracker.mark_completed());
  }
  auto connection = redis.connect();
  ASSERT_TRUE(connection->command({"SELECT", "2"}).ok());
  auto stored = connection->command({"GET", redis::keys::record(job_id)});
  ASSERT_EQ(stored.reply->type, REDIS_REPLY_STRING);
  EXPECT_NE(std::string(stored.reply->str).find("completed"), std::string::npos);
}

TEST(TrackerRedisUrlTest, AuthenticatesAsANamedAclUser) {
  // The default user has another password, so only AUTH with the user name works.
  test::RedisServer redis({"--requirepass", "default-secret", "--user", "alice", "on",
                           ">wonderland", "~*", "&*", "+@all"});
  const std::string job_id = make_uuid();
  {
    Tracker tracker(RedisConfig::from_url("redis://alice:wonderland@127.0.0.1:" +
                                          std::to_string(redis.port()) + "/2"),
                    job_id);
    ASSERT_TRUE(tracker.mark_completed());
  }
  EXPECT_FALSE(redis.get(redis::keys::record(job_id)).has_value());  // not in db 0
  auto connection = redis.connect();
  ASSERT_TRUE(connection->command({"SELECT", "2"}).ok());
  auto stored = connection->command({"GET", redis::keys::record(job_id)});
  ASSERT_EQ(stored.reply->type, REDIS_REPLY_STRING);
  EXPECT_EQ(json::parse(stored.reply->str).as_object().at("status").as_string(), "completed");
}

TEST(TrackerRedisUrlTest, ReachesRedisOverAUnixSocket) {
  test::TempDir socket_dir;
  const auto socket = (socket_dir.path() / "redis.sock").string();
  test::RedisServer redis({"--unixsocket", socket, "--unixsocketperm", "700"});
  const std::string job_id = make_uuid();
  {
    Tracker tracker(RedisConfig::from_url("unix://" + socket), job_id);
    ASSERT_TRUE(tracker.mark_completed());
  }
  EXPECT_TRUE(redis.get(redis::keys::record(job_id)).has_value());
}

TEST(TrackerRedisUrlTest, RejectsAnUnparsableUrlAtConstruction) {
  EXPECT_THROW(Tracker(RedisConfig::from_url("http://nope"), make_uuid()), std::invalid_argument);
}

}  // namespace
}  // namespace headway
