// Redis Cluster's key-to-slot mapping against the values of its specification.
#include "redis/cluster_slot.hpp"

#include <gtest/gtest.h>

namespace headway::redis {
namespace {

TEST(ClusterSlotTest, Crc16IsTheXmodemVariantOfTheSpecification) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
}

TEST(ClusterSlotTest, KeysWithoutATagHashWhole) {
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("123456789"), 0x31C3);
}

TEST(ClusterSlotTest, KeysSharingAHashTagShareASlot) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("progress:{abc}:job"), key_slot("progress:{abc}:cancel"));
}

TEST(ClusterSlotTest, OnlyTheFirstNonEmptyTagCounts) {
  // An empty tag makes the whole key the hashed part.
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % kClusterSlots);
  // The tag ends at the first } after the first {.
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  // An unclosed { is part of the key.
  EXPECT_EQ(key_slot("foo{bar"), crc16("foo{bar") % kClusterSlots);
}

}  // namespace
}  // namespace headway::redis
