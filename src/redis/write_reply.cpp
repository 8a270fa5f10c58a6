#include "redis/write_reply.hpp"

namespace headway::redis {

std::optional<WriteReply> parse_write_reply(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
    return std::nullopt;
  for (std::size_t i = 0; i < 3; ++i) {
    if (reply->element[i]->type != REDIS_REPLY_INTEGER)
      return std::nullopt;
  }
  const redisReply* replaced = reply->element[3];
  if (replaced->type != REDIS_REPLY_STRING)
    return std::nullopt;
  WriteReply parsed;
  parsed.written = reply->element[0]->integer == 1;
  parsed.seq = reply->element[1]->integer;
  parsed.cancel_requested = reply->element[2]->integer == 1;
  parsed.replaced_invalid.assign(replaced->str, replaced->len);
  return parsed;
}

}  // namespace headway::redis
