// Several jobs on one connection (GET /api/generation/streams/ and its
// WebSocket twin) against the real `headway serve` and redis-server: every
// job's events on one stream, per-job resume, ownership, bad input and a
// client that stops reading.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <map>

#include "auth/accounts.hpp"
#include "core/uuid.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

std::string many_path(const std::vector<std::string>& jobs, const std::string& query = {}) {
  std::string path = "/api/generation/streams/?jobs=";
  for (std::size_t i = 0; i < jobs.size(); ++i)
    path += (i ? "," : "") + jobs[i];
  return path + query;
}

std::string job_of(const std::string& data) {
  return json::value_to<std::string>(json::parse(data).as_object().at("job_id"));
}

std::int64_t seq_of(const std::string& data) {
  return json::parse(data).as_object().at("seq").as_int64();
}

// The resume position an event's id carries, one seq per job.
std::vector<std::int64_t> positions(const std::string& id) {
  std::vector<std::int64_t> out;
  std::size_t from = 0;
  for (;;) {
    const auto comma = id.find(',', from);
    out.push_back(std::stoll(id.substr(from, comma - from)));
    if (comma == std::string::npos)
      return out;
    from = comma + 1;
  }
}

// The events of one many-job stream, read until every job has ended or
// `limit` events arrived; checks what holds for every such stream on the way.
struct Observed {
  std::vector<std::string> connected;
  std::map<std::string, std::vector<std::int64_t>> seqs;  // per job, in arrival order
  std::map<std::string, std::string> done;                // job -> status
  bool ids_match = true;  // every progress id names the event's seq at its job's place
};

class ManyJobsStreamTest : public ::testing::Test {
 protected:
  RedisServer redis_;
  ServeProcess serve_{redis_};
  RecordWriter writer_{redis_};

  std::vector<std::string> jobs_with_records(int count, std::int64_t seq = 1) {
    std::vector<std::string> jobs;
    for (int i = 0; i < count; ++i) {
      jobs.push_back(make_uuid());
      EXPECT_TRUE(writer_.write(make_record(jobs.back(), seq)));
    }
    return jobs;
  }

  double metric_now(const std::string& sample) {
    return metric(http_get(serve_.port(), "/metrics").body, sample);
  }
};

// Reads SSE events into `seen` until `until` holds (bounded by `limit` events).
template <typename Until>
void read_sse(SseClient& client, const std::vector<std::string>& jobs, Observed& seen, Until until,
              int limit = 1000) {
  for (int i = 0; i < limit && !until(); ++i) {
    auto event = client.next();
    ASSERT_TRUE(event) << "the stream ended or went silent";
    if (event->event == "connected") {
      seen.connected.push_back(job_of(event->data));
    } else if (event->event == "progress") {
      const auto job = job_of(event->data);
      const auto seq = seq_of(event->data);
      seen.seqs[job].push_back(seq);
      const auto at = positions(event->id);
      const auto index = std::find(jobs.begin(), jobs.end(), job) - jobs.begin();
      seen.ids_match = seen.ids_match && at.size() == jobs.size() &&
                       index < static_cast<long>(jobs.size()) && at[index] == seq;
    } else if (event->event == "done") {
      seen.done[job_of(event->data)] =
          json::value_to<std::string>(json::parse(event->data).as_object().at("status"));
    }
  }
}

bool strictly_increasing(const std::vector<std::int64_t>& seqs) {
  return std::adjacent_find(seqs.begin(), seqs.end(), std::greater_equal<>()) == seqs.end();
}

TEST_F(ManyJobsStreamTest, OneSseConnectionCarriesEveryJobsConnectedProgressAndDone) {
  const auto jobs = jobs_with_records(3);
  SseClient client(serve_.port(), many_path(jobs), serve_.auth());
  ASSERT_EQ(client.status(), 200);
  EXPECT_EQ(client.headers().at("content-type"), "text/event-stream");
  Observed seen;
  read_sse(client, jobs, seen, [&] { return seen.seqs.size() == 3; });
  EXPECT_EQ(seen.connected, jobs);  // at once, in the order named
  for (const auto& job : jobs)
    EXPECT_EQ(seen.seqs[job], std::vector<std::int64_t>{1});

  for (std::int64_t seq = 2; seq <= 4; ++seq)
    for (const auto& job : jobs)
      ASSERT_TRUE(writer_.write(make_record(job, seq, JobStatus::running, 10.0 * seq)));
  read_sse(client, jobs, seen, [&] {
    return std::all_of(jobs.begin(), jobs.end(),
                       [&](const auto& job) { return seen.seqs[job].back() == 4; });
  });
  // The first job ends; the others go on on the same connection.
  ASSERT_TRUE(writer_.write(make_record(jobs[0], 5, JobStatus::completed, 100), true));
  read_sse(client, jobs, seen, [&] { return seen.done.size() == 1; });
  EXPECT_EQ(seen.done[jobs[0]], "completed");
  ASSERT_TRUE(writer_.write(make_record(jobs[1], 5, JobStatus::running, 60)));
  ASSERT_TRUE(writer_.write(make_record(jobs[1], 6, JobStatus::failed, 60), true));
  ASSERT_TRUE(writer_.write(make_record(jobs[2], 5, JobStatus::cancelled, 60), true));
  read_sse(client, jobs, seen, [&] { return seen.done.size() == 3; });
  EXPECT_EQ(seen.done[jobs[1]], "failed");
  EXPECT_EQ(seen.done[jobs[2]], "cancelled");
  EXPECT_TRUE(client.closed());  // every job ended

  EXPECT_TRUE(seen.ids_match);
  for (const auto& job : jobs) {
    EXPECT_TRUE(strictly_increasing(seen.seqs[job])) << job;
    EXPECT_EQ(seen.seqs[job].back(), job == jobs[1] ? 6 : 5) << job;
  }
  auto metrics = http_get(serve_.port(), "/metrics").body;
  EXPECT_EQ(metric(metrics, "headway_streams_total{transport=\"sse\"}"), 1);
  EXPECT_EQ(metric(metrics, "headway_stream_events_sent_total{type=\"connected\"}"), 3);
  EXPECT_EQ(metric(metrics, "headway_stream_events_sent_total{type=\"done\"}"), 3);
  EXPECT_TRUE(eventually([&] {
    return metric_now("headway_streams_active{transport=\"sse\"}") == 0 &&
           metric_now("headway_pubsub_subscriptions") == 0;
  }));
}

TEST_F(ManyJobsStreamTest, AJobWatchedAloneAndInAManyJobStreamIsSubscribedOnce) {
  const auto jobs = jobs_with_records(2);
  SseClient single(serve_.port(), stream_path(jobs[0]), serve_.auth());
  SseClient many(serve_.port(), many_path(jobs), serve_.auth());
  ASSERT_EQ(single.next()->event, "connected");
  ASSERT_EQ(single.next()->id, "1");
  Observed seen;
  read_sse(many, jobs, seen, [&] { return seen.seqs.size() == 2; });
  ASSERT_TRUE(writer_.write(make_record(jobs[0], 2)));
  EXPECT_EQ(single.next()->id, "2");
  read_sse(many, jobs, seen, [&] { return seen.seqs[jobs[0]].size() == 2; });
  EXPECT_EQ(seen.seqs[jobs[0]], (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(metric_now("headway_pubsub_subscriptions"), 2);
}

TEST_F(ManyJobsStreamTest, LastEventIdResumesEachJobAfterItsOwnSeq) {
  auto jobs = jobs_with_records(1, 5);
  jobs.push_back(make_uuid());
  ASSERT_TRUE(writer_.write(make_record(jobs[1], 3)));
  // The client has seq 5 of the first job and seq 2 of the second.
  SseClient client(serve_.port(), many_path(jobs), {{"Last-Event-ID", "5,2"}, serve_.auth()[0]});
  Observed seen;
  read_sse(client, jobs, seen, [&] { return seen.seqs.size() == 1; });
  EXPECT_EQ(seen.seqs[jobs[1]], std::vector<std::int64_t>{3});
  ASSERT_TRUE(writer_.write(make_record(jobs[0], 6)));
  auto next = client.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, "6,3");
  EXPECT_EQ(seq_of(next->data), 6);  // seq 5 was not sent again
  EXPECT_EQ(seen.seqs.count(jobs[0]), 0u);

  // A resume point that does not fit the job list starts every job afresh.
  SseClient afresh(serve_.port(), many_path(jobs), {{"Last-Event-ID", "6"}, serve_.auth()[0]});
  Observed again;
  read_sse(afresh, jobs, again, [&] { return again.seqs.size() == 2; });
  EXPECT_EQ(again.seqs[jobs[0]], std::vector<std::int64_t>{6});
}

TEST_F(ManyJobsStreamTest, ResumingAfterAJobEndedGetsItsDoneAgainWithoutItsRecord) {
  auto jobs = jobs_with_records(1, 1);
  jobs.push_back(make_uuid());
  ASSERT_TRUE(writer_.write(make_record(jobs[1], 4, JobStatus::completed, 100), true));
  SseClient client(serve_.port(), many_path(jobs, "&last_event_id=1%2C4"), serve_.auth());
  Observed seen;
  read_sse(client, jobs, seen, [&] { return seen.done.size() == 1; });
  EXPECT_EQ(seen.done[jobs[1]], "completed");
  EXPECT_TRUE(seen.seqs.empty());
  ASSERT_TRUE(writer_.write(make_record(jobs[0], 2, JobStatus::completed, 100), true));
  read_sse(client, jobs, seen, [&] { return seen.done.size() == 2; });
  EXPECT_EQ(seen.seqs[jobs[0]], std::vector<std::int64_t>{2});
  EXPECT_TRUE(client.closed());
}

TEST_F(ManyJobsStreamTest, WebSocketCarriesEveryJobsEventsAsJsonMessages) {
  const auto jobs = jobs_with_records(2, 3);
  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(serve_.port())});
  ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
    request.set(boost::beast::http::field::authorization, "Bearer " + serve_.token());
  }));
  // The client has seq 3 of the first job, nothing of the second.
  ws.handshake("127.0.0.1", "/api/generation/streams/ws/?jobs=" + jobs[0] + "," + jobs[1] +
                                "&last_event_id=3,0");
  auto read = [&ws] {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(boost::beast::buffers_to_string(buffer.data())).as_object();
  };
  for (const auto& job : jobs) {
    auto connected = read();
    EXPECT_EQ(connected.at("event").as_string(), "connected");
    EXPECT_EQ(connected.at("data").as_object().at("job_id").as_string(), job);
  }
  auto snapshot = read();
  EXPECT_EQ(snapshot.at("event").as_string(), "progress");
  EXPECT_EQ(snapshot.at("id").as_string(), "3,3");
  EXPECT_EQ(snapshot.at("data").as_object().at("job_id").as_string(), jobs[1]);
  ASSERT_TRUE(writer_.write(make_record(jobs[0], 4, JobStatus::completed, 100), true));
  auto last = read();
  EXPECT_EQ(last.at("id").as_string(), "4,3");
  auto done = read();
  EXPECT_EQ(done.at("event").as_string(), "done");
  EXPECT_EQ(done.at("data").as_object().at("job_id").as_string(), jobs[0]);
  EXPECT_EQ(done.at("data").as_object().at("status").as_string(), "completed");
  ASSERT_TRUE(writer_.write(make_record(jobs[1], 4, JobStatus::completed, 100), true));
  EXPECT_EQ(read().at("id").as_string(), "4,4");
  EXPECT_EQ(read().at("data").as_object().at("job_id").as_string(), jobs[1]);
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(metric_now("headway_streams_total{transport=\"websocket\"}"), 1);
}

TEST_F(ManyJobsStreamTest, AnotherUsersJobGetsNotFoundWhileTheCallersOwnStream) {
  auto store = open_store(serve_.db_url());
  add_test_user(store->auth(), "bob", store::Role::user, "bob-password");
  const auto bob = auth::issue_token(store->auth(), "bob", std::nullopt, now_seconds())->secret;
  auto own = make_job(make_uuid());
  own.owner = "bob";
  auto theirs = make_job(make_uuid());
  theirs.owner = "alice";
  ASSERT_TRUE(store->create_job(own));
  ASSERT_TRUE(store->create_job(theirs));
  ASSERT_TRUE(writer_.write(make_record(own.id, 1)));
  ASSERT_TRUE(writer_.write(make_record(theirs.id, 1)));
  const std::string unknown = make_uuid();

  const std::vector<std::string> jobs{theirs.id, own.id, unknown};
  SseClient client(serve_.port(), many_path(jobs), bearer(bob));
  ASSERT_EQ(client.status(), 200);
  std::vector<std::pair<std::string, std::string>> events;  // (event, job)
  for (int i = 0; i < 4; ++i) {
    auto event = client.next();
    ASSERT_TRUE(event);
    events.emplace_back(event->event, job_of(event->data));
  }
  // Someone else's job and an unknown one read the same: nothing leaks.
  EXPECT_EQ(events, (std::vector<std::pair<std::string, std::string>>{{"not_found", theirs.id},
                                                                      {"connected", own.id},
                                                                      {"not_found", unknown},
                                                                      {"progress", own.id}}));
  ASSERT_TRUE(writer_.write(make_record(theirs.id, 2)));
  ASSERT_TRUE(writer_.write(make_record(own.id, 2, JobStatus::completed, 100), true));
  auto next = client.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(job_of(next->data), own.id);  // theirs never shows
  EXPECT_EQ(client.next()->event, "done");
  EXPECT_TRUE(client.closed());
}

TEST_F(ManyJobsStreamTest, BadRequestsGetJsonErrors) {
  const auto jobs = jobs_with_records(1);
  auto error_of = [](const HttpResponse& response) {
    return json::value_to<std::string>(json::parse(response.body).as_object().at("error"));
  };
  EXPECT_EQ(http_get(serve_.port(), many_path(jobs)).status, 401);
  auto not_uuid = http_get(serve_.port(), many_path({jobs[0], "not-a-job"}), serve_.auth());
  EXPECT_EQ(not_uuid.status, 400);
  EXPECT_EQ(error_of(not_uuid), "invalid_job_id");
  auto none = http_get(serve_.port(), "/api/generation/streams/", serve_.auth());
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(error_of(none), "invalid_job_list");
  auto twice = http_get(serve_.port(), many_path({jobs[0], jobs[0]}), serve_.auth());
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(error_of(twice), "invalid_job_list");
  std::vector<std::string> too_many;
  for (int i = 0; i < 51; ++i)
    too_many.push_back(make_uuid());
  auto over = http_get(serve_.port(), many_path(too_many), serve_.auth());
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(error_of(over), "too_many_jobs");
  too_many.pop_back();  // 50 is allowed
  SseClient fifty(serve_.port(), many_path(too_many), serve_.auth());
  EXPECT_EQ(fifty.status(), 200);
  auto plain =
      http_get(serve_.port(), "/api/generation/streams/ws/?jobs=" + jobs[0], serve_.auth());
  EXPECT_EQ(plain.status, 426);
}

TEST_F(ManyJobsStreamTest, AClientThatStopsReadingStillGetsEveryJobsNewestRecordAndDone) {
  const auto jobs = jobs_with_records(2);
  SseClient stalled(serve_.port(), many_path(jobs), serve_.auth(), 4096);
  ASSERT_EQ(stalled.status(), 200);  // then reads nothing while the jobs run
  Observed seen;
  read_sse(stalled, jobs, seen, [&] { return seen.connected.size() == 2; });
  // 2 x 2,000 records of ~8 KiB: far more than the socket holds.
  const std::string padding(8000, 'x');
  for (std::int64_t seq = 2; seq <= 2001; ++seq) {
    for (const auto& job : jobs) {
      auto record = make_record(job, seq, JobStatus::running, 50);
      record.metadata_json = "{\"padding\":\"" + padding + "\"}";
      ASSERT_TRUE(writer_.write(record));
    }
  }
  ASSERT_TRUE(writer_.write(make_record(jobs[0], 2002, JobStatus::completed, 100), true));
  ASSERT_TRUE(writer_.write(make_record(jobs[1], 2002, JobStatus::failed, 50), true));
  read_sse(
      stalled, jobs, seen, [&] { return seen.done.size() == 2; }, 10'000);
  EXPECT_EQ(seen.done[jobs[0]], "completed");
  EXPECT_EQ(seen.done[jobs[1]], "failed");
  for (const auto& job : jobs) {
    EXPECT_TRUE(strictly_increasing(seen.seqs[job])) << job;
    EXPECT_EQ(seen.seqs[job].back(), 2002) << job;
  }
  EXPECT_TRUE(seen.ids_match);
  EXPECT_TRUE(stalled.closed());
  EXPECT_GT(metric_now("headway_stream_coalesced_total"), 0);
  EXPECT_EQ(metric_now("headway_stream_slow_drops_total"), 0);
}

TEST_F(ManyJobsStreamTest, SigtermClosesManyJobStreamsAndTheServerExitsZero) {
  const auto jobs = jobs_with_records(2);
  SseClient sse(serve_.port(), many_path(jobs), serve_.auth());
  Observed seen;
  read_sse(sse, jobs, seen, [&] { return seen.seqs.size() == 2; });
  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(serve_.port())});
  ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
    request.set(boost::beast::http::field::authorization, "Bearer " + serve_.token());
  }));
  ws.handshake("127.0.0.1", "/api/generation/streams/ws/?jobs=" + jobs[0] + "," + jobs[1]);
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < 4; ++i) {  // two `connected`, two snapshots
    ws.read(buffer);
    buffer.consume(buffer.size());
  }
  serve_.process().signal(SIGTERM);
  EXPECT_TRUE(sse.closed());
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::going_away);
  EXPECT_EQ(serve_.process().wait(), 0) << serve_.log();
}

}  // namespace
}  // namespace headway::test
