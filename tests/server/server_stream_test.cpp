// `headway serve` over real loopback HTTP against a real redis-server: stream
// semantics (docs/protocol.md section 4, docs/server.md), the snapshot, bad input and metrics.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "core/uuid.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

std::int64_t seq_of(const SseEvent& event) {
  return json::parse(event.data).as_object().at("seq").as_int64();
}

class ServerStreamTest : public ::testing::Test {
 protected:
  RedisServer redis_;
  ServeProcess serve_{redis_};
  RecordWriter writer_{redis_};
  const std::string job_id_ = make_uuid();
};

TEST_F(ServerStreamTest, StreamSendsConnectedThenProgressThenDoneAndCloses) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1, JobStatus::initializing)));
  SseClient client(serve_.port(), stream_path(job_id_), serve_.auth());
  ASSERT_EQ(client.status(), 200);
  EXPECT_EQ(client.headers().at("content-type"), "text/event-stream");
  EXPECT_EQ(client.headers().at("cache-control"), "no-cache");
  EXPECT_EQ(client.headers().at("x-accel-buffering"), "no");
  EXPECT_EQ(client.headers().at("content-encoding"), "identity");

  auto connected = client.next();
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->event, "connected");
  EXPECT_EQ(json::parse(connected->data).as_object().at("job_id").as_string(), job_id_);
  EXPECT_EQ(client.retry_hint(), "3000");

  auto snapshot = client.next();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->event, "progress");
  EXPECT_EQ(snapshot->id, "1");

  ASSERT_TRUE(writer_.write(make_record(job_id_, 2, JobStatus::running, 40)));
  auto live = client.next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->id, "2");
  EXPECT_EQ(json::parse(live->data).as_object().at("overall_progress").to_number<double>(), 40);

  ASSERT_TRUE(writer_.write(make_record(job_id_, 3, JobStatus::completed, 100), true));
  auto last = client.next();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->id, "3");
  auto done = client.next();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->event, "done");
  EXPECT_EQ(json::parse(done->data).as_object().at("status").as_string(), "completed");
  EXPECT_TRUE(client.closed());
}

TEST_F(ServerStreamTest, TwoHundredStreamsOnOneJobEachReceiveEveryUpdateOnceInOrder) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1)));
  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < 200; ++i)
    clients.push_back(
        std::make_unique<SseClient>(serve_.port(), stream_path(job_id_), serve_.auth()));
  for (auto& client : clients) {
    ASSERT_EQ(client->next()->event, "connected");
    auto first = client->next();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->id, "1");
  }
  // Each update is published once every stream has the previous one, so no
  // stream may coalesce: every stream must see every seq exactly once.
  for (std::int64_t seq = 2; seq <= 20; ++seq) {
    ASSERT_TRUE(writer_.write(make_record(job_id_, seq, JobStatus::running, seq)));
    for (auto& client : clients) {
      auto event = client->next();
      ASSERT_TRUE(event) << "seq " << seq;
      ASSERT_EQ(event->event, "progress");
      ASSERT_EQ(seq_of(*event), seq);
    }
  }
  ASSERT_TRUE(writer_.write(make_record(job_id_, 21, JobStatus::completed, 100), true));
  for (auto& client : clients) {
    ASSERT_EQ(seq_of(*client->next()), 21);
    ASSERT_EQ(client->next()->event, "done");
    ASSERT_TRUE(client->closed());
  }
  auto metrics = http_get(serve_.port(), "/metrics").body;
  EXPECT_EQ(metric(metrics, "headway_streams_total{transport=\"sse\"}"), 200);
  EXPECT_EQ(metric(metrics, "headway_stream_events_sent_total{type=\"done\"}"), 200);
  EXPECT_EQ(metric(metrics, "headway_stream_events_sent_total{type=\"progress\"}"), 200 * 21);
  EXPECT_TRUE(eventually([&] {
    return metric(http_get(serve_.port(), "/metrics").body,
                  "headway_streams_active{transport=\"sse\"}") == 0;
  }));
}

TEST_F(ServerStreamTest, StreamsOnManyJobsAtOnceEachSeeTheirOwnJob) {
  constexpr int kJobs = 50;
  std::vector<std::string> jobs;
  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(make_uuid());
    ASSERT_TRUE(writer_.write(make_record(jobs.back(), 1)));
    clients.push_back(
        std::make_unique<SseClient>(serve_.port(), stream_path(jobs.back()), serve_.auth()));
  }
  for (auto& client : clients) {
    ASSERT_EQ(client->next()->event, "connected");
    ASSERT_EQ(client->next()->id, "1");
  }
  for (int i = 0; i < kJobs; ++i)
    ASSERT_TRUE(writer_.write(make_record(jobs[i], 2, JobStatus::completed, 100), true));
  for (int i = 0; i < kJobs; ++i) {
    auto event = clients[i]->next();
    ASSERT_TRUE(event);
    EXPECT_EQ(json::parse(event->data).as_object().at("job_id").as_string(), jobs[i]);
    EXPECT_EQ(clients[i]->next()->event, "done");
  }
  auto metrics = http_get(serve_.port(), "/metrics").body;
  EXPECT_TRUE(eventually([&] {
    return metric(http_get(serve_.port(), "/metrics").body, "headway_pubsub_subscriptions") == 0;
  }));
}

TEST_F(ServerStreamTest, LastEventIdResumesWithoutRepeatingWhatTheClientHas) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 5)));
  SseClient resumed(serve_.port(), stream_path(job_id_),
                    {{"Last-Event-ID", "5"}, serve_.auth().front()});
  SseClient behind(serve_.port(), stream_path(job_id_),
                   {{"Last-Event-ID", "4"}, serve_.auth().front()});
  ASSERT_EQ(resumed.next()->event, "connected");
  ASSERT_EQ(behind.next()->event, "connected");
  EXPECT_EQ(behind.next()->id, "5");
  ASSERT_TRUE(writer_.write(make_record(job_id_, 6)));
  auto next = resumed.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, "6");  // seq 5 was not sent again
  EXPECT_EQ(behind.next()->id, "6");
}

TEST_F(ServerStreamTest, ResumingAfterTheFinalRecordGetsDoneAndClose) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 7, JobStatus::failed), true));
  SseClient client(serve_.port(), stream_path(job_id_),
                   {{"Last-Event-ID", "7"}, serve_.auth().front()});
  ASSERT_EQ(client.next()->event, "connected");
  auto done = client.next();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->event, "done");
  EXPECT_EQ(json::parse(done->data).as_object().at("status").as_string(), "failed");
  EXPECT_TRUE(client.closed());
}

TEST_F(ServerStreamTest, WebSocketCarriesTheSameEventsAsJsonMessages) {
  namespace asio = boost::asio;
  namespace websocket = boost::beast::websocket;
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1)));
  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(serve_.port())});
  ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
    request.set(boost::beast::http::field::authorization, "Bearer " + serve_.token());
  }));
  ws.handshake("127.0.0.1", "/api/generation/ws/" + job_id_ + "/");
  auto read = [&ws] {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(boost::beast::buffers_to_string(buffer.data())).as_object();
  };
  auto connected = read();
  EXPECT_EQ(connected.at("event").as_string(), "connected");
  EXPECT_EQ(connected.at("data").as_object().at("job_id").as_string(), job_id_);
  auto first = read();
  EXPECT_EQ(first.at("event").as_string(), "progress");
  EXPECT_EQ(first.at("id").as_int64(), 1);
  EXPECT_EQ(first.at("data").as_object().at("seq").as_int64(), 1);
  ASSERT_TRUE(writer_.write(make_record(job_id_, 2, JobStatus::completed, 100), true));
  EXPECT_EQ(read().at("id").as_int64(), 2);
  auto done = read();
  EXPECT_EQ(done.at("event").as_string(), "done");
  EXPECT_EQ(done.at("data").as_object().at("status").as_string(), "completed");
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  auto metrics = http_get(serve_.port(), "/metrics").body;
  EXPECT_EQ(metric(metrics, "headway_streams_total{transport=\"websocket\"}"), 1);
}

TEST_F(ServerStreamTest, ProgressSnapshotComesFromRedisElseFromTheJobTable) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 4, JobStatus::running, 12.5)));
  auto from_redis =
      http_get(serve_.port(), "/api/generation/progress/" + job_id_ + "/", serve_.auth());
  ASSERT_EQ(from_redis.status, 200);
  EXPECT_EQ(from_redis.headers.at("content-type"), "application/json");
  EXPECT_EQ(json::parse(from_redis.body).as_object().at("seq").as_int64(), 4);

  const std::string row_only = make_uuid();
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(row_only)));
  store::ProgressUpdate update;
  update.job_id = row_only;
  update.seq = 9;
  update.status = JobStatus::completed;
  update.stage = "rl_refinement";
  update.overall_progress = 100;
  update.last_updated = 1764355400;
  ASSERT_TRUE(store->apply_record(update));
  auto from_table =
      http_get(serve_.port(), "/api/generation/progress/" + row_only + "/", serve_.auth());
  ASSERT_EQ(from_table.status, 200);
  auto record = json::parse(from_table.body).as_object();
  EXPECT_EQ(record.at("seq").as_int64(), 9);
  EXPECT_EQ(record.at("status").as_string(), "completed");
  EXPECT_EQ(record.at("stage").as_string(), "rl_refinement");
  auto metrics = http_get(serve_.port(), "/metrics").body;
  EXPECT_GE(metric(metrics, "headway_db_fallbacks_total"), 1);
  EXPECT_GE(metric(metrics, "headway_redis_misses_total"), 1);
}

TEST_F(ServerStreamTest, MalformedJsonInAKeyIsTreatedAsMissingAndCounted) {
  ASSERT_TRUE(redis_.command({"SET", "progress:job:" + job_id_, "{not json"}).ok());
  EXPECT_EQ(
      http_get(serve_.port(), "/api/generation/progress/" + job_id_ + "/", serve_.auth()).status,
      404);
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id_)));
  EXPECT_EQ(
      http_get(serve_.port(), "/api/generation/progress/" + job_id_ + "/", serve_.auth()).status,
      200);
  // A stream on it stays open (falling back to the table) until a valid record comes.
  SseClient client(serve_.port(), stream_path(job_id_), serve_.auth());
  ASSERT_EQ(client.next()->event, "connected");
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1)));
  EXPECT_EQ(client.next()->id, "1");
  auto metrics = http_get(serve_.port(), "/metrics").body;
  EXPECT_GE(metric(metrics, "headway_redis_malformed_total"), 2);
}

TEST_F(ServerStreamTest, BadInputGetsJsonErrors) {
  auto expect_error = [](const HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status);
    auto body = json::parse(response.body).as_object();
    EXPECT_TRUE(body.contains("error"));
    EXPECT_TRUE(body.contains("detail"));
  };
  const int port = serve_.port();
  expect_error(http_get(port, "/api/generation/stream/not-a-uuid/", serve_.auth()), 400);
  expect_error(http_get(port, "/api/generation/progress/12345/", serve_.auth()), 400);
  expect_error(http_get(port, "/api/generation/ws/xyz/", serve_.auth()), 400);
  expect_error(http_get(port, stream_path(job_id_), serve_.auth()), 404);
  expect_error(http_get(port, "/api/generation/progress/" + job_id_ + "/", serve_.auth()), 404);
  expect_error(http_get(port, "/api/no/such/path/"), 404);
  auto wrong_method = http_request(
      port, "DELETE /api/generation/health/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect_error(wrong_method, 405);
  EXPECT_EQ(wrong_method.headers.at("allow"), "GET");
  const std::string huge_header(20000, 'a');
  expect_error(http_get(port, "/metrics", {{"X-Huge", huge_header}}), 431);
  expect_error(http_request(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                      std::to_string(2 << 20) + "\r\n\r\n"),
               413);
  expect_error(http_request(port, "NOT-HTTP\r\n\r\n"), 400);
  auto metrics = http_get(port, "/metrics").body;
  EXPECT_EQ(metric(metrics,
                   "headway_http_requests_total{route=\"/api/generation/stream/{id}/\","
                   "status=\"400\"}"),
            1);
  EXPECT_EQ(metric(metrics, "headway_http_requests_total{route=\"unmatched\",status=\"405\"}"), 1);
}

TEST_F(ServerStreamTest, HealthReportsRedisAndTheDatabase) {
  auto health = http_get(serve_.port(), "/api/generation/health/");
  ASSERT_EQ(health.status, 200);
  auto body = json::parse(health.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "healthy");
  EXPECT_EQ(body.at("redis").as_object().at("status").as_string(), "up");
  EXPECT_EQ(body.at("database").as_object().at("status").as_string(), "up");
}

TEST_F(ServerStreamTest, RecorderFoldsEventsIntoTheTableWithNoOneWatching) {
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id_)));
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1, JobStatus::initializing), true));
  ASSERT_TRUE(writer_.write(make_record(job_id_, 2, JobStatus::running, 50), true));
  auto failed = make_record(job_id_, 3, JobStatus::failed, 50);
  failed.metadata_json = R"({"error":"solver crashed"})";
  ASSERT_TRUE(writer_.write(failed, true));
  ASSERT_TRUE(eventually([&] {
    auto job = store->get_job(job_id_);
    return job && job->last_seq == 3;
  }));
  auto job = store->get_job(job_id_);
  EXPECT_EQ(job->status, JobStatus::failed);
  EXPECT_EQ(job->error, "solver crashed");
  EXPECT_EQ(job->overall_progress, 50);
  // An event for a job with no row is acknowledged and counted, not retried.
  ASSERT_TRUE(writer_.write(make_record(make_uuid(), 1, JobStatus::running), true));
  EXPECT_TRUE(eventually([&] {
    return metric(http_get(serve_.port(), "/metrics").body,
                  "headway_recorder_events_total{outcome=\"unknown_job\"}") == 1;
  }));
  EXPECT_TRUE(eventually([&] {
    auto pending = redis_.command({"XPENDING", "progress:events", "headway-recorder"});
    return pending.reply->element[0]->integer == 0;
  }));
}

}  // namespace
}  // namespace headway::test
