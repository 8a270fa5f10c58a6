#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>

namespace headway::redis {

// The reply of scripts/write_record.lua.
struct WriteReply {
  bool written = false;
  std::int64_t seq = 0;  // written: the new seq; refused: the stored one
  bool cancel_requested = false;
  // Why the stored value was no record of this job and was overwritten;
  // empty when it was one, or there was none.
  std::string replaced_invalid;
};

// Reads the script's reply; nullopt for anything but {int, int, int, string}.
std::optional<WriteReply> parse_write_reply(const redisReply* reply);

}  // namespace headway::redis
