// Fault injection against the real `headway serve`: Redis killed and
// restarted, a client that stops reading, the server down while a job ends,
// the job table's database stopped, and SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <thread>

#include "auth/accounts.hpp"
#include "core/uuid.hpp"
#include "redis/keys.hpp"
#include "server_fixture.hpp"
#include "support/postgres_server.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

store::ProgressUpdate table_update(const std::string& job_id, std::int64_t seq, JobStatus status,
                                   double overall) {
  store::ProgressUpdate update;
  update.job_id = job_id;
  update.seq = seq;
  update.status = status;
  update.stage = "cpsat_solving";
  update.overall_progress = overall;
  update.last_updated = 1764355400 + static_cast<double>(seq);
  return update;
}

TEST(ServerFaultsTest, RedisKilledMidStreamFallsBackToTheTableAndResumesLiveWhenBack) {
  RedisServer redis;
  ServeProcess serve(redis, {"--fallback-interval", "200ms", "--redis-retry-max", "1s"});
  RecordWriter writer(redis);
  const std::string job_id = make_uuid();
  auto store = open_store(serve.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id)));
  ASSERT_TRUE(writer.write(make_record(job_id, 1)));
  SseClient client(serve.port(), stream_path(job_id), serve.auth());
  ASSERT_EQ(client.next()->event, "connected");
  ASSERT_EQ(client.next()->id, "1");

  redis.kill();
  EXPECT_TRUE(
      eventually([&] { return http_get(serve.port(), "/api/generation/health/").status == 503; }));
  // The recorder cannot run without Redis; the table changes some other way
  // (here: directly), and the stream must see it through the fallback.
  ASSERT_TRUE(store->apply_record(table_update(job_id, 5, JobStatus::running, 60)));
  auto fallback = client.next();
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->id, "5");
  EXPECT_EQ(json::parse(fallback->data).as_object().at("overall_progress").to_number<double>(), 60);
  ASSERT_TRUE(store->apply_record(table_update(job_id, 6, JobStatus::running, 70)));
  EXPECT_EQ(client.next()->id, "6");
  auto snapshot = http_get(serve.port(), "/api/generation/progress/" + job_id + "/", serve.auth());
  EXPECT_EQ(snapshot.status, 200);

  redis.start();
  EXPECT_TRUE(eventually(
      [&] { return http_get(serve.port(), "/api/generation/health/").status == 200; }, 60s));
  ASSERT_TRUE(writer.write(make_record(job_id, 7, JobStatus::running, 80)));
  auto live = client.next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->id, "7");
  ASSERT_TRUE(writer.write(make_record(job_id, 8, JobStatus::completed, 100), true));
  EXPECT_EQ(client.next()->id, "8");
  EXPECT_EQ(client.next()->event, "done");
  auto metrics = http_get(serve.port(), "/metrics").body;
  EXPECT_GE(metric(metrics, "headway_redis_reconnects_total{connection=\"pubsub\"}"), 1);
  EXPECT_GE(metric(metrics, "headway_db_fallbacks_total"), 2);
  EXPECT_TRUE(serve.process().poll() == std::nullopt);  // never exited
}

// A record stored without a publish, while a stream waits on the table (the
// key missing, or Redis just back and its snapshot read failed), still
// reaches the stream: the fallback reads Redis before the table each round.
TEST(ServerFaultsTest, ARecordStoredWithoutAPublishReachesAStreamThatWaitsOnTheTable) {
  RedisServer redis;
  ServeProcess serve(redis, {"--fallback-interval", "200ms", "--redis-retry-max", "1s"});
  const std::string job_id = make_uuid();
  auto store = open_store(serve.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id)));
  SseClient client(serve.port(), stream_path(job_id), serve.auth());
  ASSERT_EQ(client.next()->event, "connected");
  const auto store_silently = [&](std::int64_t seq) {
    const std::string json = to_json(make_record(job_id, seq, JobStatus::running, 10.0 * seq));
    return redis.command({"SET", redis::keys::record(job_id), json}).ok();
  };

  const auto misses = [&] {
    return metric(http_get(serve.port(), "/metrics").body, "headway_redis_misses_total");
  };

  // Stored only once a snapshot read has found no key.
  EXPECT_TRUE(eventually([&] { return misses() > 0; }));
  ASSERT_TRUE(store_silently(3));
  auto event = client.next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, "3");

  redis.kill();
  EXPECT_TRUE(
      eventually([&] { return http_get(serve.port(), "/api/generation/health/").status == 503; }));
  redis.start();
  EXPECT_TRUE(eventually(
      [&] { return http_get(serve.port(), "/api/generation/health/").status == 200; }, 60s));
  // Killed without saving: the key is gone, and a read after the restart says so.
  const double misses_before = misses();
  EXPECT_TRUE(eventually([&] { return misses() > misses_before; }, 60s));
  ASSERT_TRUE(store_silently(4));
  event = client.next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, "4");
  EXPECT_TRUE(serve.process().poll() == std::nullopt);
}

TEST(ServerFaultsTest, AClientThatStopsReadingKeepsServerMemoryBoundedAndIsDropped) {
  RedisServer redis;
  ServeProcess serve(redis, {"--write-timeout", "2s"});
  RecordWriter writer(redis);
  const std::string job_id = make_uuid();
  ASSERT_TRUE(writer.write(make_record(job_id, 1)));
  SseClient stalled(serve.port(), stream_path(job_id), serve.auth(), 4096);
  ASSERT_EQ(stalled.status(), 200);  // read the head, then read nothing more
  SseClient reader(serve.port(), stream_path(job_id), serve.auth());
  ASSERT_EQ(reader.next()->event, "connected");

  // A client that keeps reading, on its own thread while records are written.
  std::int64_t last = 0;
  bool ordered = true;
  bool got_done = false;
  std::thread reading([&] {
    for (int i = 0; i < 20'000; ++i) {
      auto event = reader.next();
      if (!event)
        return;
      if (event->event == "done") {
        got_done = true;
        return;
      }
      const auto seq = json::parse(event->data).as_object().at("seq").as_int64();
      ordered = ordered && seq > last;
      last = seq;
    }
  });

  const long rss_before = rss_kib(serve.pid());
  // 10,000 records of ~8 KiB: 80 MB that the stalled stream must not queue.
  const std::string padding(8000, 'x');
  for (std::int64_t seq = 2; seq <= 10'001; ++seq) {
    auto record = make_record(job_id, seq, JobStatus::running, 50);
    record.metadata_json = "{\"padding\":\"" + padding + "\"}";
    EXPECT_TRUE(writer.write(record));
  }
  EXPECT_TRUE(writer.write(make_record(job_id, 10'002, JobStatus::completed, 100), true));
  reading.join();  // bounded: each read gives up after 20 s of silence
  EXPECT_TRUE(got_done);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(last, 10'002);
  const long rss_after = rss_kib(serve.pid());
#if !defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer freed memory sits in its quarantine (256 MiB), so
  // RSS says nothing there; the coalescing and drop counters below still do.
  EXPECT_LT(rss_after - rss_before, 20 * 1024) << "RSS grew from " << rss_before << " KiB";
#else
  (void)rss_before;
  (void)rss_after;
#endif
  EXPECT_TRUE(eventually([&] {
    return metric(http_get(serve.port(), "/metrics").body, "headway_stream_slow_drops_total") == 1;
  }));
  auto metrics = http_get(serve.port(), "/metrics").body;
  EXPECT_GT(metric(metrics, "headway_stream_coalesced_total"), 0);
  EXPECT_EQ(metric(metrics, "headway_streams_active{transport=\"sse\"}"), 0);
}

TEST(ServerFaultsTest, RecorderCatchesUpOnEventsWrittenWhileTheServerWasDown) {
  RedisServer redis;
  RecordWriter writer(redis);
  const std::string job_id = make_uuid();
  std::string db_url;
  {
    ServeProcess serve(redis);
    db_url = serve.db_url();
    auto store = open_store(db_url);
    ASSERT_TRUE(store->create_job(make_job(job_id)));
    ASSERT_TRUE(writer.write(make_record(job_id, 1, JobStatus::initializing), true));
    ASSERT_TRUE(eventually([&] { return store->get_job(job_id)->last_seq == 1; }));
    ASSERT_EQ(serve.terminate(), 0);
    // The job runs on and finishes while no server is up.
    ASSERT_TRUE(writer.write(make_record(job_id, 2, JobStatus::running, 50), true));
    ASSERT_TRUE(writer.write(make_record(job_id, 3, JobStatus::completed, 100), true));
    // The key expires: only the table will know how it ended.
    ASSERT_TRUE(redis.command({"DEL", "progress:job:" + job_id}).ok());
    serve.start();
    ASSERT_TRUE(eventually([&] { return store->get_job(job_id)->last_seq == 3; }));
    EXPECT_EQ(store->get_job(job_id)->status, JobStatus::completed);
    // A stream opened now gets the final state from the table, then done.
    SseClient client(serve.port(), stream_path(job_id), serve.auth());
    ASSERT_EQ(client.next()->event, "connected");
    auto record = client.next();
    ASSERT_TRUE(record);
    EXPECT_EQ(record->id, "3");
    EXPECT_EQ(client.next()->event, "done");
  }
}

// A credential that cannot be checked is not a bad credential: while the
// database is down, calls that need it answer 503 (retry later), never 401
// (sign in again). PostgreSQL here, because it can be stopped and started
// under a running server; a SQLite file has no such outage.
TEST(ServerFaultsTest, WhileTheDatabaseIsDownCredentialsAreAnswered503NotRefused) {
  RedisServer redis;
  PostgresServer postgres;
  ServeProcess serve(redis, {}, ServeOptions{postgres.create_database("jobs")});
  const int port = serve.port();
  const std::string job_id = make_uuid();
  std::string fresh;
  {
    auto store = open_store(serve.db_url());
    auto job = make_job(job_id);
    job.owner = "tester";
    ASSERT_TRUE(store->create_job(job));
    // A token the server has never seen, so no answer can come from its cache.
    auto issued = auth::issue_token(store->auth(), "tester", std::nullopt, 0);
    ASSERT_TRUE(issued);
    fresh = issued->secret;
  }
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + fresh}};
  auto create = [&] {
    return http_request(port,
                        "POST /api/generation-jobs/generate/ HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\nAuthorization: Bearer " +
                            fresh +
                            "\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n"
                            R"({"type":"external"})");
  };
  postgres.stop();
  EXPECT_EQ(http_get(port, "/api/generation/health/").status, 503);
  const auto list = http_get(port, "/api/generation-jobs/", auth);
  EXPECT_EQ(list.status, 503) << list.body;
  EXPECT_EQ(json::parse(list.body).as_object().at("error").as_string(), "unavailable");
  EXPECT_EQ(create().status, 503);
  EXPECT_EQ(http_get(port, "/api/auth/me/", auth).status, 503);
  EXPECT_EQ(http_get(port, "/api/generation-jobs/" + job_id + "/", auth).status, 503);
  EXPECT_EQ(http_get(port, "/api/generation/progress/" + job_id + "/", auth).status, 503);

  postgres.start();
  EXPECT_TRUE(
      eventually([&] { return http_get(port, "/api/generation-jobs/", auth).status == 200; }));
  EXPECT_EQ(create().status, 201);
}

TEST(ServerFaultsTest, SigtermClosesStreamsCleanlyAndExitsZero) {
  RedisServer redis;
  ServeProcess serve(redis);
  RecordWriter writer(redis);
  const std::string job_id = make_uuid();
  ASSERT_TRUE(writer.write(make_record(job_id, 1)));
  SseClient sse(serve.port(), stream_path(job_id), serve.auth());
  ASSERT_EQ(sse.next()->event, "connected");
  ASSERT_EQ(sse.next()->id, "1");
  serve.process().signal(SIGTERM);
  EXPECT_TRUE(sse.closed());
  EXPECT_EQ(serve.process().wait(), 0) << serve.log();
}

}  // namespace
}  // namespace headway::test
