// The cluster launcher and ClusterClient against a real six-node Redis
// Cluster: routing by slot, MOVED after a slot changes masters, ASK while it
// migrates, and the redirect limit.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "redis/cluster.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/redis_url.hpp"
#include "support/redis_cluster.hpp"

namespace headway {
namespace {

using namespace std::chrono_literals;

std::string text(const redis::CommandResult& result) {
  return redis::reply_text(result.reply.get());
}

class RedisClusterTest : public ::testing::Test {
 protected:
  std::unique_ptr<redis::ClusterClient> client() const {
    std::string error;
    auto endpoint = redis::parse_redis_url(cluster_.url(), error);
    EXPECT_TRUE(endpoint) << error;
    auto opened = redis::ClusterClient::open(*endpoint, {}, error);
    EXPECT_TRUE(opened) << error;
    return opened;
  }
  std::string node_id(int port) const { return text(cluster_.command(port, {"CLUSTER", "MYID"})); }
  // A key of the form "key:<n>" whose slot the master on `port` serves.
  std::string key_on(int port) const {
    for (int n = 0;; ++n) {
      const std::string key = "key:" + std::to_string(n);
      if (cluster_.master_of_slot(redis::key_slot(key)) == port)
        return key;
    }
  }
  // Makes `to` the owner of `slot` (moving `keys` from its master) on every master.
  void move_slot(int slot, int from, int to, const std::vector<std::string>& keys) const {
    const std::string slot_text = std::to_string(slot);
    ASSERT_EQ(
        text(cluster_.command(to, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", node_id(from)})),
        "OK");
    ASSERT_EQ(
        text(cluster_.command(from, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", node_id(to)})),
        "OK");
    for (const auto& key : keys) {
      const auto migrated =
          cluster_.command(from, {"MIGRATE", "127.0.0.1", std::to_string(to), key, "0", "5000"});
      ASSERT_EQ(text(migrated), "OK") << migrated.error_reply();
    }
    for (const int master : cluster_.master_ports())
      cluster_.command(master, {"CLUSTER", "SETSLOT", slot_text, "NODE", node_id(to)});
  }

  test::RedisCluster cluster_;
};

TEST_F(RedisClusterTest, TheLauncherFormsThreeMastersWithAReplicaEach) {
  EXPECT_TRUE(cluster_.healthy());
  const auto masters = cluster_.master_ports();
  EXPECT_EQ(masters.size(), 3u);
  for (const int port : cluster_.ports()) {
    const auto role = cluster_.command(port, {"ROLE"});
    const std::string name(role.reply->element[0]->str, role.reply->element[0]->len);
    const bool is_master = std::find(masters.begin(), masters.end(), port) != masters.end();
    EXPECT_EQ(name, is_master ? "master" : "slave") << port;
  }
}

TEST_F(RedisClusterTest, KeySlotAgreesWithTheCluster) {
  const int port = cluster_.ports().front();
  for (const char* key : {"foo", "bar", "{user1000}.following", "progress:{x}:job", "", "a{}b",
                          "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77"}) {
    const auto answer = cluster_.command(port, {"CLUSTER", "KEYSLOT", key});
    EXPECT_EQ(answer.reply->integer, redis::key_slot(key)) << key;
  }
}

TEST_F(RedisClusterTest, ReadsAndWritesReachTheMasterOfEachKeysSlot) {
  auto cluster_client = client();
  ASSERT_TRUE(cluster_client);
  for (const int master : cluster_.master_ports()) {
    const std::string key = key_on(master);
    const auto set = cluster_client->command(key, {"SET", key, "on " + std::to_string(master)});
    ASSERT_TRUE(set.ok()) << set.error;
    EXPECT_EQ(text(set), "OK") << set.error_reply();
    // Held by that master itself: a plain GET there answers without MOVED.
    EXPECT_EQ(text(cluster_.command(master, {"GET", key})), "on " + std::to_string(master));
    EXPECT_EQ(text(cluster_client->command(key, {"GET", key})), "on " + std::to_string(master));
  }
  EXPECT_EQ(cluster_client->redirects(), 0u);
}

TEST_F(RedisClusterTest, AMovedSlotIsFollowedAndTheMapCorrected) {
  auto cluster_client = client();
  ASSERT_TRUE(cluster_client);
  const auto masters = cluster_.master_ports();
  const std::string key = key_on(masters[0]);
  const int slot = redis::key_slot(key);
  ASSERT_EQ(text(cluster_client->command(key, {"SET", key, "moving"})), "OK");
  move_slot(slot, masters[0], masters[1], {key});
  // The client's map still names the old master, which answers MOVED.
  EXPECT_EQ(cluster_client->master_of(slot), "127.0.0.1:" + std::to_string(masters[0]));
  const auto got = cluster_client->command(key, {"GET", key});
  ASSERT_TRUE(got.ok()) << got.error;
  EXPECT_EQ(text(got), "moving");
  EXPECT_EQ(cluster_client->redirects(), 1u);
  EXPECT_EQ(cluster_client->master_of(slot), "127.0.0.1:" + std::to_string(masters[1]));
  EXPECT_EQ(text(cluster_client->command(key, {"SET", key, "moved"})), "OK");
  EXPECT_EQ(cluster_client->redirects(), 1u);
  EXPECT_EQ(text(cluster_.command(masters[1], {"GET", key})), "moved");
}

TEST_F(RedisClusterTest, ASlotBeingMigratedIsReachedWithAsking) {
  auto cluster_client = client();
  ASSERT_TRUE(cluster_client);
  const auto masters = cluster_.master_ports();
  const std::string key = key_on(masters[0]);
  const std::string slot = std::to_string(redis::key_slot(key));
  cluster_.command(masters[1], {"CLUSTER", "SETSLOT", slot, "IMPORTING", node_id(masters[0])});
  cluster_.command(masters[0], {"CLUSTER", "SETSLOT", slot, "MIGRATING", node_id(masters[1])});
  // The key is not on the old master: it answers ASK, and the write lands on
  // the importing one, while the map keeps the old master.
  const auto set = cluster_client->command(key, {"SET", key, "asked"});
  ASSERT_TRUE(set.ok()) << set.error;
  EXPECT_EQ(text(set), "OK") << set.error_reply();
  EXPECT_EQ(cluster_client->redirects(), 1u);
  EXPECT_EQ(cluster_client->master_of(redis::key_slot(key)),
            "127.0.0.1:" + std::to_string(masters[0]));
  for (const int master : cluster_.master_ports())
    cluster_.command(master, {"CLUSTER", "SETSLOT", slot, "NODE", node_id(masters[1])});
  EXPECT_EQ(text(cluster_.command(masters[1], {"GET", key})), "asked");
}

TEST_F(RedisClusterTest, EndlessRedirectsFailAfterFive) {
  auto cluster_client = client();
  ASSERT_TRUE(cluster_client);
  const auto masters = cluster_.master_ports();
  const std::string key = key_on(masters[0]);
  const std::string slot = std::to_string(redis::key_slot(key));
  // Migrating to a node that does not import: the old master answers ASK,
  // the new one MOVED back, for ever.
  cluster_.command(masters[0], {"CLUSTER", "SETSLOT", slot, "MIGRATING", node_id(masters[1])});
  const auto set = cluster_client->command(key, {"SET", key, "never"});
  EXPECT_FALSE(set.ok());
  EXPECT_NE(set.error.find("after 5 redirects"), std::string::npos) << set.error;
  EXPECT_EQ(cluster_client->redirects(), 5u);
  cluster_.command(masters[0], {"CLUSTER", "SETSLOT", slot, "STABLE"});
  EXPECT_EQ(text(cluster_client->command(key, {"SET", key, "now"})), "OK");
}

TEST_F(RedisClusterTest, AfterAMasterDiesOneCommandFailsAndTheNextReachesItsPromotedReplica) {
  auto cluster_client = client();
  ASSERT_TRUE(cluster_client);
  const auto masters = cluster_.master_ports();
  const std::string key = key_on(masters[0]);
  const int slot = redis::key_slot(key);
  ASSERT_EQ(text(cluster_client->command(key, {"SET", key, "before"})), "OK");
  cluster_.kill(masters[0]);
  // Bounded: eventually() gives up after its timeout.
  ASSERT_TRUE(test::eventually(
      [&] { return cluster_.healthy() && cluster_.master_of_slot(slot) != masters[0]; }, 60s))
      << text(cluster_.command(masters[1], {"CLUSTER", "NODES"}));
  const int promoted = cluster_.master_of_slot(slot);
  // The client still knows the dead master: that command fails (it may
  // have run), and has the map read again.
  const auto first = cluster_client->command(key, {"SET", key, "after"});
  EXPECT_FALSE(first.ok());
  const auto second = cluster_client->command(key, {"SET", key, "after"});
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(text(second), "OK") << second.error_reply();
  EXPECT_EQ(cluster_client->master_of(slot), "127.0.0.1:" + std::to_string(promoted));
  EXPECT_EQ(text(cluster_.command(promoted, {"GET", key})), "after");
}

}  // namespace
}  // namespace headway
