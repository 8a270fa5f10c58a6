// The Tracker against a real six-node Redis Cluster: the cluster names of
// docs/protocol.md ("Redis Cluster"), the record on the job's shard channel,
// the events stream partition, and the cancel flag.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/uuid.hpp"
#include "headway/tracker.hpp"
#include "redis/keys.hpp"
#include "support/channel_listener.hpp"
#include "support/redis_cluster.hpp"

namespace headway {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
namespace cluster_keys = redis::keys::cluster;

using redis::reply_text;

class TrackerClusterTest : public ::testing::Test {
 protected:
  RedisConfig config() const { return RedisConfig::from_url(cluster_.url()); }
  // Runs a command on the master serving `key`.
  redis::CommandResult on_master_of(const std::string& key,
                                    const std::vector<std::string_view>& args) const {
    return cluster_.command(cluster_.master_of_slot(redis::key_slot(key)), args);
  }
  std::optional<json::object> stored_record() const {
    const std::string key = cluster_keys::record(job_id_);
    auto got = on_master_of(key, {"GET", key});
    if (got.reply->type != REDIS_REPLY_STRING)
      return std::nullopt;
    return json::parse(reply_text(got.reply.get())).as_object();
  }
  // The statuses of the job's entries in its events partition, oldest first.
  std::vector<std::string> event_statuses() const {
    const std::string stream = cluster_keys::events_stream(cluster_keys::event_partition(job_id_));
    auto entries = on_master_of(stream, {"XRANGE", stream, "-", "+"});
    std::vector<std::string> statuses;
    for (std::size_t i = 0; i < entries.reply->elements; ++i) {
      const redisReply* fields = entries.reply->element[i]->element[1];
      EXPECT_EQ(reply_text(fields->element[0]), "job_id");
      EXPECT_EQ(reply_text(fields->element[1]), job_id_);
      EXPECT_EQ(reply_text(fields->element[4]), "status");
      statuses.push_back(reply_text(fields->element[5]));
    }
    return statuses;
  }

  // Listens on the job's shard channel, on the master serving it.
  test::ChannelListener shard_channel_listener() const {
    const std::string channel = cluster_keys::channel(job_id_);
    redis::Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = cluster_.master_of_slot(redis::key_slot(channel));
    return test::ChannelListener(endpoint, {"SSUBSCRIBE", channel});
  }

  test::RedisCluster cluster_;
  const std::string job_id_ = make_uuid();
};

TEST_F(TrackerClusterTest, WritesTheRecordUnderTheJobsHashTagAndSendsItOnTheShardChannel) {
  auto listener = shard_channel_listener();
  {
    Tracker tracker(config(), job_id_);
    ASSERT_TRUE(tracker.start_stage("loading"));
    ASSERT_TRUE(tracker.update_stage_progress(1, 2));
    ASSERT_TRUE(tracker.complete_stage());
    ASSERT_TRUE(tracker.mark_completed());
  }
  const auto record = stored_record();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->at("job_id").as_string(), job_id_);
  EXPECT_EQ(record->at("status").as_string(), "completed");
  const std::string key = cluster_keys::record(job_id_);
  const auto ttl = on_master_of(key, {"TTL", key});
  EXPECT_GT(ttl.reply->integer, 0);
  const auto published = listener.wait();
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back(), *record);
  for (std::size_t i = 1; i < published.size(); ++i)
    EXPECT_GT(published[i].at("seq").as_int64(), published[i - 1].at("seq").as_int64());
  // The standalone names are not used on a cluster.
  const std::string standalone = redis::keys::record(job_id_);
  EXPECT_EQ(on_master_of(standalone, {"EXISTS", standalone}).reply->integer, 0);
}

TEST_F(TrackerClusterTest, AppendsStageBoundariesAndTheEndToTheJobsEventsPartition) {
  {
    Tracker tracker(config(), job_id_);
    ASSERT_TRUE(tracker.start_stage("loading"));
    ASSERT_TRUE(tracker.complete_stage());
    ASSERT_TRUE(tracker.mark_completed());
  }
  const auto statuses = event_statuses();
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back(), "completed");
  // No other partition holds the job's entries.
  for (int partition = 0; partition < cluster_keys::kEventPartitions; ++partition) {
    if (partition == cluster_keys::event_partition(job_id_))
      continue;
    const std::string stream = cluster_keys::events_stream(partition);
    EXPECT_EQ(on_master_of(stream, {"XLEN", stream}).reply->integer, 0) << stream;
  }
}

TEST_F(TrackerClusterTest, SeesTheCancelFlagOnTheJobsSlot) {
  TrackerOptions options;
  options.cancel_poll_interval = 100ms;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  EXPECT_FALSE(tracker.cancel_requested());
  const std::string cancel = cluster_keys::cancel(job_id_);
  on_master_of(cancel, {"SET", cancel, "1", "EX", "600"});
  EXPECT_TRUE(test::eventually([&] { return tracker.cancel_requested(); }, 30s));
  ASSERT_TRUE(tracker.mark_cancelled());
  EXPECT_EQ(stored_record()->at("status").as_string(), "cancelled");
}

TEST_F(TrackerClusterTest, LoadsTheScriptAgainAfterTheMasterForgotIt) {
  Tracker tracker(config(), job_id_);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  on_master_of(cluster_keys::record(job_id_), {"SCRIPT", "FLUSH"});
  ASSERT_TRUE(tracker.update_stage_progress(1, 2));
  ASSERT_TRUE(tracker.flush(30s));
  EXPECT_EQ(stored_record()->at("stage_progress").to_number<double>(), 50.0);
  ASSERT_TRUE(tracker.mark_completed());
}

TEST_F(TrackerClusterTest, TheTerminalRecordSurvivesTheDeathOfTheJobsMaster) {
  TrackerOptions options;
  options.terminal_timeout = 60s;
  Tracker tracker(config(), job_id_, StagePlan::reference(), options);
  ASSERT_TRUE(tracker.start_stage("loading"));
  ASSERT_TRUE(tracker.flush(30s));
  const int slot = redis::key_slot(cluster_keys::record(job_id_));
  const int old_master = cluster_.master_of_slot(slot);
  cluster_.kill(old_master);
  ASSERT_TRUE(tracker.complete_stage());
  // Acknowledged once the replica has taken over (a few seconds), within
  // the terminal timeout.
  ASSERT_TRUE(tracker.mark_completed());
  // Every node names the promoted master before the record is read there.
  ASSERT_TRUE(test::eventually(
      [&] { return cluster_.healthy() && cluster_.master_of_slot(slot) != old_master; }, 60s));
  const auto record = stored_record();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->at("status").as_string(), "completed");
  EXPECT_EQ(event_statuses().back(), "completed");
}

}  // namespace
}  // namespace headway
