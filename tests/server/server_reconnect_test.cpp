// Connections that die under a running `headway serve`: Redis restarted
// (killed or stopped cleanly) or closing the server's connections, and the
// SQLite job table deleted. Health must say what the next request will find.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <set>
#include <sstream>

#include "redis/keys.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

const char* const kHealth = "/api/generation/health/";

HttpResponse create_timetable_job(const ServeProcess& serve) {
  return http_send(serve.port(), "POST", "/api/generation-jobs/generate/", serve.auth(),
                   R"({"type":"timetable","params":{"clusters":2,"duration_s":1}})");
}

// The entries of jobs:queue that name `job_id`.
int queue_entries_for(const RedisServer& redis, const std::string& job_id) {
  auto range = redis.command({"XRANGE", redis::keys::kJobsQueue, "-", "+"});
  int count = 0;
  for (std::size_t i = 0; i < range.reply->elements; ++i) {
    const redisReply* fields = range.reply->element[i]->element[1];
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (std::string_view(fields->element[f]->str, fields->element[f]->len) == "job_id" &&
          std::string_view(fields->element[f + 1]->str, fields->element[f + 1]->len) == job_id)
        ++count;
    }
  }
  return count;
}

long long queue_length(const RedisServer& redis) {
  return redis.command({"XLEN", redis::keys::kJobsQueue}).reply->integer;
}

// How the server's Redis connections are made to die.
enum class Fault { redis_killed, redis_stopped, connections_closed };

std::string fault_name(const ::testing::TestParamInfo<Fault>& info) {
  switch (info.param) {
    case Fault::redis_killed:
      return "RedisKilled";
    case Fault::redis_stopped:
      return "RedisStopped";
    case Fault::connections_closed:
      return "ConnectionsClosed";
  }
  return "unknown";
}

class RedisFaultTest : public ::testing::TestWithParam<Fault> {
 protected:
  // The ids of Redis' normal (not pub/sub) clients, from CLIENT LIST.
  std::set<std::string> normal_client_ids() const {
    auto list = redis_.command({"CLIENT", "LIST", "TYPE", "normal"});
    std::set<std::string> ids;
    std::istringstream lines(std::string(list.reply->str, list.reply->len));
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("id="))
        ids.insert(line.substr(3, line.find(' ') - 3));
    }
    return ids;
  }

  // Makes the server's Redis connections die as the parameter says; health
  // answers 503 while Redis is down. Returns once health answers 200.
  void break_connections_and_wait_until_healthy() {
    ASSERT_EQ(http_get(serve_.port(), kHealth).status, 200);
    if (GetParam() == Fault::connections_closed) {
      // As an idle timeout or an operator would: every normal client but
      // ours, waiting until Redis has closed them.
      const auto before = normal_client_ids();
      auto killed = redis_.command({"CLIENT", "KILL", "TYPE", "normal"});
      ASSERT_TRUE(killed.ok() && !killed.is_error_reply());
      ASSERT_GT(killed.reply->integer, 0);
      ASSERT_TRUE(eventually([&] {
        for (const auto& id : normal_client_ids()) {
          if (before.contains(id))
            return false;
        }
        return true;
      }));
    } else {
      GetParam() == Fault::redis_killed ? redis_.kill() : redis_.stop();
      EXPECT_TRUE(eventually([&] { return http_get(serve_.port(), kHealth).status == 503; }));
      const auto down = json::parse(http_get(serve_.port(), kHealth).body).as_object();
      EXPECT_EQ(down.at("status"), "unhealthy");
      EXPECT_EQ(down.at("redis").at("status"), "down");
      redis_.start();
    }
    ASSERT_TRUE(eventually([&] { return http_get(serve_.port(), kHealth).status == 200; }, 60s));
  }

  RedisServer redis_;
  ServeProcess serve_{redis_, {"--redis-retry-max", "1s"}};
};

// The job queue's connection is open (a job was created) when Redis goes
// away; once health says healthy again, the next job is created and queued
// exactly once.
TEST_P(RedisFaultTest, OnceHealthSaysHealthyTheNextJobIsCreatedAndQueuedOnce) {
  auto first = create_timetable_job(serve_);
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_NO_FATAL_FAILURE(break_connections_and_wait_until_healthy());

  const long long queued_before = queue_length(redis_);
  auto created = create_timetable_job(serve_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::parse(created.body).as_object().at("id").as_string());
  EXPECT_EQ(queue_entries_for(redis_, id), 1);
  EXPECT_EQ(queue_length(redis_), queued_before + 1);
  auto row = http_get(serve_.port(), "/api/generation-jobs/" + id + "/", serve_.auth());
  ASSERT_EQ(row.status, 200);
  EXPECT_EQ(json::parse(row.body).as_object().at("status"), "queued");
  // Health names every connection it checked.
  const auto up = json::parse(http_get(serve_.port(), kHealth).body).as_object();
  EXPECT_EQ(up.at("redis").at("queue"), true);
  EXPECT_EQ(up.at("redis").at("recorder"), true);
  EXPECT_TRUE(serve_.process().poll() == std::nullopt);
}

// Cancel goes over the same connection as job creation.
TEST_P(RedisFaultTest, OnceHealthSaysHealthyAQueuedJobIsCancelled) {
  auto created = create_timetable_job(serve_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::parse(created.body).as_object().at("id").as_string());
  ASSERT_NO_FATAL_FAILURE(break_connections_and_wait_until_healthy());

  auto cancelled =
      http_send(serve_.port(), "DELETE", "/api/generation-jobs/" + id + "/cancel/", serve_.auth());
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(json::parse(cancelled.body).as_object().at("status"), "cancelled");
  auto row = http_get(serve_.port(), "/api/generation-jobs/" + id + "/", serve_.auth());
  EXPECT_EQ(json::parse(row.body).as_object().at("status"), "cancelled");
}

INSTANTIATE_TEST_SUITE_P(Faults, RedisFaultTest,
                         ::testing::Values(Fault::redis_killed, Fault::redis_stopped,
                                           Fault::connections_closed),
                         fault_name);

// SQLite keeps writing into a file that was unlinked; all of it would be lost
// at the next start. The server says so instead.
TEST(DeletedDatabaseTest, HealthIs503AndJobsAreRefusedOnceTheSqliteFileIsDeleted) {
  RedisServer redis;
  ServeProcess serve(redis);
  ASSERT_EQ(http_get(serve.port(), kHealth).status, 200);
  ASSERT_EQ(create_timetable_job(serve).status, 201);

  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(serve.dir() / (std::string("jobs.db") + suffix));

  auto health = http_get(serve.port(), kHealth);
  EXPECT_EQ(health.status, 503) << health.body;
  const auto body = json::parse(health.body).as_object();
  EXPECT_EQ(body.at("status"), "unhealthy");
  const auto& database = body.at("database").as_object();
  EXPECT_EQ(database.at("status"), "down");
  ASSERT_TRUE(database.contains("detail")) << health.body;
  const std::string detail(database.at("detail").as_string());
  EXPECT_NE(detail.find("deleted or replaced"), std::string::npos) << detail;

  auto refused = create_timetable_job(serve);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(json::parse(refused.body).as_object().at("error"), "unavailable");
  EXPECT_TRUE(serve.process().poll() == std::nullopt);
}

}  // namespace
}  // namespace headway::test
