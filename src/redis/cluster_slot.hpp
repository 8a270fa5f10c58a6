#pragma once

#include <cstdint>
#include <string_view>

// Redis Cluster's key-to-slot mapping, written here because Debian 12
// packages no Redis Cluster client library (see docs/operations.md).
namespace headway::redis {

inline constexpr int kClusterSlots = 16384;

// CRC16 as the Redis Cluster specification defines it (CCITT/XMODEM:
// polynomial 0x1021, initial value 0, no reflection).
std::uint16_t crc16(std::string_view data);

// The slot of `key`: CRC16 modulo 16384 of the key, or of its hash tag when
// it has one (the text between the first `{` and the first `}` after it,
// when not empty), so that keys sharing a tag share a slot.
int key_slot(std::string_view key);

}  // namespace headway::redis
