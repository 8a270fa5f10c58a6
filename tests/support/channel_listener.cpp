#include "support/channel_listener.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "redis/keys.hpp"

namespace headway::test {

namespace json = boost::json;

ChannelListener::ChannelListener(const RedisServer& redis, const std::string& job_id)
    : ChannelListener(redis.endpoint(), {"SUBSCRIBE", redis::keys::record(job_id)}) {}

ChannelListener::ChannelListener(const redis::Endpoint& endpoint,
                                 const std::vector<std::string>& subscribe) {
  std::string error;
  // Long reads: a worker process may take a while to start (more so under
  // sanitizers).
  connection_ =
      redis::Connection::open(endpoint, {std::chrono::seconds(1), std::chrono::seconds(60)}, error);
  if (!connection_)
    throw std::runtime_error(error);
  auto subscribed =
      connection_->command(std::vector<std::string_view>(subscribe.begin(), subscribe.end()));
  EXPECT_TRUE(subscribed.ok() && !subscribed.is_error_reply());
  thread_ = std::thread([this] {
    // Bounded: a read gives up after the connection's 60 s command timeout,
    // and at most 100,000 messages are read. Each message is
    // [message|smessage, channel, record].
    for (int i = 0; i < 100'000; ++i) {
      auto message = connection_->read_reply();
      if (!message.ok())
        return;
      const redisReply* reply = message.reply.get();
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        continue;
      auto record =
          json::parse(std::string_view(reply->element[2]->str, reply->element[2]->len)).as_object();
      const std::string status(record.at("status").as_string());
      records_.push_back(std::move(record));
      if (status == "completed" || status == "failed" || status == "cancelled")
        return;
    }
  });
}

ChannelListener::~ChannelListener() {
  if (thread_.joinable())
    thread_.join();
}

std::vector<json::object> ChannelListener::wait() {
  if (thread_.joinable())
    thread_.join();
  return std::move(records_);
}

}  // namespace headway::test
