#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/record_sink.hpp"
#include "headway/redis_config.hpp"

namespace headway::redis {

// The Tracker's sink on Redis: each record by write_record.lua over one
// blocking connection, made lazily and again after a failure. Throws
// std::invalid_argument when the URL cannot be parsed.
std::unique_ptr<detail::RecordSink> make_redis_sink(const RedisConfig& config,
                                                    std::int64_t ttl_seconds,
                                                    std::size_t events_max_len);

}  // namespace headway::redis
