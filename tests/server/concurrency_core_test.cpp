// The stream server's concurrency core in-process, on an io_context with no
// sockets: the route table, each stream's mailbox, the fan-out of pub/sub
// records to streams, the frames rendered once per record, and the login
// limiter and credential cache, whose time the tests move by hand.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/progress_record.hpp"
#include "core/uuid.hpp"
#include "headway/manual_clock.hpp"
#include "server/auth/credential_cache.hpp"
#include "server/auth/login_limiter.hpp"
#include "server/http/router.hpp"
#include "server/metrics/metrics.hpp"
#include "server/redis/redis_commands.hpp"
#include "server/streams/fanout.hpp"
#include "server/streams/mailbox.hpp"
#include "server/streams/record_snapshots.hpp"
#include "server/streams/rendered_update.hpp"
#include "store/job_store.hpp"
#include "support/process.hpp"

namespace headway::server {
namespace {

using Kind = StreamMailbox::Next::Kind;

std::string record_json(const std::string& job_id, std::int64_t seq,
                        JobStatus status = JobStatus::running) {
  ProgressRecord record;
  record.job_id = job_id;
  record.seq = seq;
  record.status = status;
  record.stage = "cpsat_solving";
  record.overall_progress = is_terminal(status) ? 100 : 40;
  record.started_at = 1764355325.25;
  record.last_updated = record.started_at + static_cast<double>(seq);
  return to_json(record);
}

Update update_of(const std::string& job_id, std::int64_t seq,
                 JobStatus status = JobStatus::running) {
  return make_update(seq, status, record_json(job_id, seq, status));
}

// ---------------------------------------------------------------- Router

Handler no_handler() {
  return [](RequestContext&) -> awaitable<std::optional<Response>> { co_return std::nullopt; };
}

Router job_routes() {
  Router router;
  router.add({http::verb::get, "/api/generation-jobs/", "jobs", RouteKind::plain, no_handler()});
  router.add(
      {http::verb::get, "/api/generation-jobs/{id}/", "job", RouteKind::plain, no_handler()});
  router.add({http::verb::delete_, "/api/generation-jobs/{id}/cancel/", "cancel", RouteKind::plain,
              no_handler()});
  router.add({http::verb::post, "/api/generation-jobs/{id}/cancel/", "cancel_post",
              RouteKind::plain, no_handler()});
  router.add(
      {http::verb::get, "/api/generation/stream/{id}/", "stream", RouteKind::stream, no_handler()});
  router.add({http::verb::get, "/{*path}", "static", RouteKind::plain, no_handler()});
  return router;
}

TEST(RouterTest, ALiteralPathMatchesOnlyItself) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::get, "/api/generation-jobs/");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->name, "jobs");
  EXPECT_TRUE(match.params.empty());
}

TEST(RouterTest, ARowAddedWithoutALabelIsCountedUnderItsPattern) {
  Router router;
  router.add(http::verb::get, "/api/generation/progress/{id}/", RouteKind::plain, no_handler());
  const auto match = router.match(http::verb::get, "/api/generation/progress/abc/");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->name, "/api/generation/progress/{id}/");
  EXPECT_EQ(match.route->pattern, "/api/generation/progress/{id}/");
}

TEST(RouterTest, AParameterSegmentIsCapturedInOrder) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::get, "/api/generation/stream/abc-123/");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->name, "stream");
  EXPECT_EQ(match.route->kind, RouteKind::stream);
  ASSERT_EQ(match.params.size(), 1u);
  EXPECT_EQ(match.params[0], "abc-123");
}

TEST(RouterTest, AnEmptySegmentNeverFillsAParameter) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::get, "/api/generation/stream//");
  // Not a stream: the static files answer (and will say 404).
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->name, "static");
}

TEST(RouterTest, AKnownPathWithAnotherMethodIsA405ListingTheAllowedMethods) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::put, "/api/generation-jobs/abc/cancel/");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.path_known);
  EXPECT_EQ(match.allow, "DELETE, POST");
}

TEST(RouterTest, AKnownPathIsA405EvenWhereTheCatchAllWouldTakeTheMethod) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::get, "/api/generation-jobs/abc/cancel/");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.path_known);
  EXPECT_EQ(match.allow, "DELETE, POST");
}

TEST(RouterTest, TheCatchAllTakesUnknownPathsWithTheRestAsItsParameter) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::get, "/assets/app.js");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->name, "static");
  ASSERT_EQ(match.params.size(), 1u);
  EXPECT_EQ(match.params[0], "assets/app.js");
  const auto root = router.match(http::verb::get, "/");
  ASSERT_NE(root.route, nullptr);
  ASSERT_EQ(root.params.size(), 1u);
  EXPECT_EQ(root.params[0], "");
}

TEST(RouterTest, AnUnknownPathWithAMethodTheCatchAllLacksIsA404NotA405) {
  const Router router = job_routes();
  const auto match = router.match(http::verb::post, "/assets/app.js");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_FALSE(match.path_known);
  EXPECT_EQ(match.allow, "");
}

// ---------------------------------------------------------- StreamMailbox

class StreamMailboxTest : public ::testing::Test {
 protected:
  std::shared_ptr<StreamMailbox> mailbox(std::int64_t last_sent_seq = 0) {
    return std::make_shared<StreamMailbox>(io.get_executor(), last_sent_seq, metrics);
  }

  const std::string job_id = make_uuid();
  asio::io_context io;
  Metrics metrics;
};

TEST_F(StreamMailboxTest, AStreamThatIsNotReadingKeepsOnlyTheNewestRecord) {
  auto box = mailbox();
  for (std::int64_t seq = 1; seq <= 5; ++seq)
    EXPECT_TRUE(box->offer(update_of(job_id, seq)));
  auto next = box->take();
  ASSERT_EQ(next.kind, Kind::progress);
  EXPECT_EQ(next.update.seq, 5);
  EXPECT_EQ(box->take().kind, Kind::wait);
  EXPECT_EQ(metrics.coalesced().Value(), 4);
}

TEST_F(StreamMailboxTest, ARecordNotNewerThanWhatWasAcceptedIsRefused) {
  auto box = mailbox(/*last_sent_seq=*/5);
  EXPECT_FALSE(box->offer(update_of(job_id, 4)));
  EXPECT_FALSE(box->offer(update_of(job_id, 5)));
  EXPECT_EQ(box->take().kind, Kind::wait);
  EXPECT_TRUE(box->offer(update_of(job_id, 7)));
  EXPECT_FALSE(box->offer(update_of(job_id, 6)));
  auto next = box->take();
  ASSERT_EQ(next.kind, Kind::progress);
  EXPECT_EQ(next.update.seq, 7);
}

TEST_F(StreamMailboxTest, DoneFollowsTheTerminalRecordAndNothingIsAcceptedAfterIt) {
  auto box = mailbox();
  EXPECT_TRUE(box->offer(update_of(job_id, 1)));
  EXPECT_TRUE(box->offer(update_of(job_id, 2, JobStatus::failed)));
  EXPECT_FALSE(box->offer(update_of(job_id, 3)));
  auto record = box->take();
  ASSERT_EQ(record.kind, Kind::progress);
  EXPECT_EQ(record.update.seq, 2);  // the terminal record replaced the pending one
  auto done = box->take();
  ASSERT_EQ(done.kind, Kind::done);
  EXPECT_EQ(done.final_status, JobStatus::failed);
  EXPECT_EQ(box->take().kind, Kind::closed);
}

TEST_F(StreamMailboxTest, ATerminalRecordTheClientAlreadyHasStillEndsTheStreamWithDone) {
  auto box = mailbox(/*last_sent_seq=*/9);
  EXPECT_FALSE(box->offer(update_of(job_id, 9, JobStatus::completed)));
  auto done = box->take();
  ASSERT_EQ(done.kind, Kind::done);
  EXPECT_EQ(done.final_status, JobStatus::completed);
  EXPECT_EQ(box->take().kind, Kind::closed);
}

TEST_F(StreamMailboxTest, DoneIsNotDroppedByOffersFromManyThreadsWhileTheStreamRuns) {
  auto box = mailbox();
  constexpr int kWriters = 4;
  constexpr std::int64_t kPerWriter = 500;
  std::vector<std::int64_t> sent;
  std::optional<JobStatus> final_status;
  int wakeups = 0;
  // The stream's loop, as streams/sse.cpp and streams/ws.cpp run it: take, else wait.
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        for (;;) {
          auto next = box->take();
          if (next.kind == Kind::progress) {
            sent.push_back(next.update.seq);
          } else if (next.kind == Kind::done) {
            final_status = next.final_status;
          } else if (next.kind == Kind::closed) {
            co_return;
          } else if (next.kind == Kind::wait) {
            // A wait that reaches its deadline is no wake-up: the loop is
            // bounded by the number of offers.
            auto [ec] = co_await box->wait(StreamMailbox::Clock::now() + std::chrono::minutes(1));
            if (!ec || ++wakeups > kWriters * kPerWriter + 1)
              co_return;
          }
        }
      },
      asio::detached);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (std::int64_t i = 0; i < kPerWriter; ++i)
        box->offer(update_of(job_id, 1 + w + kWriters * i));
    });
  }
  std::thread runner([&] { io.run(); });
  for (auto& writer : writers)
    writer.join();
  box->offer(update_of(job_id, kWriters * kPerWriter + 1, JobStatus::completed));
  runner.join();
  ASSERT_TRUE(final_status.has_value());
  EXPECT_EQ(*final_status, JobStatus::completed);
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back(), kWriters * kPerWriter + 1);
  EXPECT_TRUE(std::is_sorted(sent.begin(), sent.end()));
  EXPECT_EQ(std::adjacent_find(sent.begin(), sent.end()), sent.end());
}

TEST_F(StreamMailboxTest, CloseEndsAStreamThatIsWaiting) {
  auto box = mailbox();
  ASSERT_EQ(box->take().kind, Kind::wait);
  box->close();
  EXPECT_FALSE(box->offer(update_of(job_id, 1)));
  EXPECT_EQ(box->take().kind, Kind::closed);
}

// Records what offer() wrote directly; `result` says what the kernel "took".
class RecordingWriter final : public DirectWriter {
 public:
  Result write_now(const Update& update) override {
    written.push_back(update.seq);
    return result;
  }
  std::vector<std::int64_t> written;
  Result result = Result::written;
};

TEST_F(StreamMailboxTest, AnIdleStreamOnItsOwnThreadIsWrittenDirectlyButTerminalRecordsAreNot) {
  auto box = mailbox();
  RecordingWriter writer;
  box->set_direct_writer(&writer);
  ASSERT_EQ(box->take().kind, Kind::wait);  // the stream idles
  asio::post(io, [&] {
    box->offer(update_of(job_id, 1));
    box->offer(update_of(job_id, 2, JobStatus::completed));
  });
  io.run();
  EXPECT_EQ(writer.written, std::vector<std::int64_t>{1});
  auto terminal = box->take();
  ASSERT_EQ(terminal.kind, Kind::progress);
  EXPECT_EQ(terminal.update.seq, 2);
  EXPECT_EQ(box->take().kind, Kind::done);
  box->set_direct_writer(nullptr);
}

TEST_F(StreamMailboxTest, ADirectWriteTheKernelTookOnlyPartOfIsFlushedFirst) {
  auto box = mailbox();
  RecordingWriter writer;
  writer.result = DirectWriter::Result::unfinished;
  box->set_direct_writer(&writer);
  ASSERT_EQ(box->take().kind, Kind::wait);
  asio::post(io, [&] { box->offer(update_of(job_id, 1)); });
  io.run();
  EXPECT_EQ(writer.written, std::vector<std::int64_t>{1});
  box->offer(update_of(job_id, 2));  // from another thread: queued, not written
  EXPECT_EQ(box->take().kind, Kind::flush);
  auto next = box->take();
  ASSERT_EQ(next.kind, Kind::progress);
  EXPECT_EQ(next.update.seq, 2);
  box->set_direct_writer(nullptr);
}

TEST_F(StreamMailboxTest, OffersFromAnotherThreadAreNeverWrittenDirectly) {
  auto box = mailbox();
  RecordingWriter writer;
  box->set_direct_writer(&writer);
  ASSERT_EQ(box->take().kind, Kind::wait);
  box->offer(update_of(job_id, 1));  // the test thread does not run io
  EXPECT_TRUE(writer.written.empty());
  EXPECT_EQ(box->take().kind, Kind::progress);
  box->set_direct_writer(nullptr);
}

// ------------------------------------------------------------------ Fanout

// The calls the fan-out makes on a pub/sub connection, in order.
class FakeSubscriber final : public Subscriber {
 public:
  void subscribe(const std::string& job_id) override { calls.push_back("SUBSCRIBE " + job_id); }
  void unsubscribe(const std::string& job_id) override { calls.push_back("UNSUBSCRIBE " + job_id); }
  std::vector<std::string> calls;
};

redis::Endpoint unused_endpoint() {
  redis::Endpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = 1;
  return endpoint;
}

// A fan-out with one home on `io`; Redis commands fail at once (never
// started), and the job table is a real SQLite file.
class FanoutTest : public ::testing::Test {
 protected:
  FanoutTest()
      : redis(io, unused_endpoint(), {}, metrics),
        store(open_store()),
        snapshots(redis, *store, db_pool, metrics),
        fanout(io, snapshots, metrics, std::chrono::hours(1)) {
    home = fanout.add_home(io, subscriber);
  }
  ~FanoutTest() override {
    fanout.stop();
    io.restart();
    io.run();
    db_pool.join();
  }

  std::unique_ptr<store::JobStore> open_store() {
    auto opened = store::open_job_store("sqlite://" + (dir.path() / "jobs.db").string());
    if (!opened)
      throw std::runtime_error(opened.error().message);
    return std::move(*opened);
  }
  std::shared_ptr<StreamMailbox> stream() {
    return std::make_shared<StreamMailbox>(io.get_executor(), 0, metrics);
  }
  std::string channel(const std::string& job_id) const { return "progress:job:" + job_id; }
  // Runs what the fan-out handed to the streams' thread.
  void run_handlers() {
    io.restart();
    io.poll();
  }

  test::TempDir dir;
  asio::io_context io;
  asio::thread_pool db_pool{1};
  Metrics metrics;
  RedisCommands redis;
  std::unique_ptr<store::JobStore> store;
  Snapshots snapshots;
  Fanout fanout;
  FakeSubscriber subscriber;
  std::size_t home = 0;
};

TEST_F(FanoutTest, AJobIsSubscribedOnceWhateverTheNumberOfItsStreams) {
  fanout.on_pubsub_up(home);
  const std::string job_id = make_uuid();
  auto first = stream();
  auto second = stream();
  auto topic = fanout.join(job_id, first);
  EXPECT_EQ(fanout.join(job_id, second), topic);
  EXPECT_EQ(subscriber.calls, std::vector<std::string>{"SUBSCRIBE " + job_id});
  EXPECT_EQ(fanout.topic_count(), 1u);
  EXPECT_EQ(fanout.job_ids(home), std::vector<std::string>{job_id});

  fanout.leave(topic, first);
  EXPECT_EQ(subscriber.calls.size(), 1u);
  fanout.leave(topic, second);
  EXPECT_EQ(subscriber.calls,
            (std::vector<std::string>{"SUBSCRIBE " + job_id, "UNSUBSCRIBE " + job_id}));
  EXPECT_EQ(fanout.topic_count(), 0u);
}

TEST_F(FanoutTest, AMessageReachesEveryStreamOfItsJobAndNoOther) {
  fanout.on_pubsub_up(home);
  const std::string job_id = make_uuid();
  const std::string other_id = make_uuid();
  auto first = stream();
  auto second = stream();
  auto other = stream();
  auto topic = fanout.join(job_id, first);
  fanout.join(job_id, second);
  auto other_topic = fanout.join(other_id, other);

  fanout.deliver(channel(job_id), record_json(job_id, 3));
  run_handlers();
  for (const auto& box : {first, second}) {
    auto next = box->take();
    ASSERT_EQ(next.kind, Kind::progress);
    EXPECT_EQ(next.update.seq, 3);
    EXPECT_EQ(next.update.json(), record_json(job_id, 3));
  }
  EXPECT_EQ(other->take().kind, Kind::wait);

  // After leaving, a stream is offered nothing more.
  fanout.leave(topic, first);
  fanout.deliver(channel(job_id), record_json(job_id, 4));
  run_handlers();
  EXPECT_EQ(first->take().kind, Kind::wait);
  EXPECT_EQ(second->take().update.seq, 4);
  fanout.leave(topic, second);
  fanout.leave(other_topic, other);
}

TEST_F(FanoutTest, ARecordOfAnotherJobOrNoRecordAtAllIsDroppedAndCounted) {
  fanout.on_pubsub_up(home);
  const std::string job_id = make_uuid();
  auto box = stream();
  auto topic = fanout.join(job_id, box);
  fanout.deliver(channel(job_id), record_json(make_uuid(), 5));
  fanout.deliver(channel(job_id), "not json");
  run_handlers();
  EXPECT_EQ(box->take().kind, Kind::wait);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("headway_records_dropped_total{reason=\"other_job\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("headway_records_dropped_total{reason=\"invalid\"} 1"), std::string::npos)
      << text;
  fanout.leave(topic, box);
}

TEST_F(FanoutTest, TheAcknowledgedSubscriptionReadsTheSnapshotFromTheJobTableWhenRedisCannot) {
  fanout.on_pubsub_up(home);
  store::Job job;
  job.id = make_uuid();
  job.owner = "alice";
  job.type = "timetable";
  ASSERT_TRUE(store->create_job(job));
  store::ProgressUpdate progress;
  progress.job_id = job.id;
  progress.seq = 6;
  progress.stage = "clustering";
  progress.overall_progress = 12.5;
  progress.started_at = 1764355325.25;
  progress.last_updated = 1764355330.25;
  ASSERT_TRUE(store->apply_record(progress));
  auto box = stream();
  auto topic = fanout.join(job.id, box);
  // Before the acknowledgement nothing is read: a record published in
  // between could be missed by a snapshot taken earlier.
  run_handlers();
  EXPECT_EQ(box->take().kind, Kind::wait);

  fanout.on_subscribed(home, channel(job.id));
  // The snapshot read fails on Redis (not connected) and goes to the job
  // table on the database pool; its record arrives back on io.
  std::optional<StreamMailbox::Next> next;
  for (int round = 0; round < 1000 && !next; ++round) {
    io.restart();
    io.run_one_for(std::chrono::seconds(10));
    auto taken = box->take();
    if (taken.kind != Kind::wait)
      next = std::move(taken);
  }
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->kind, Kind::progress);
  EXPECT_EQ(next->update.seq, 6);
  EXPECT_EQ(next->update.status, JobStatus::running);
  EXPECT_NE(next->update.json().find("\"stage\":\"clustering\""), std::string::npos)
      << next->update.json();
  fanout.leave(topic, box);
}

// ---------------------------------------------------------------- frames

TEST(UpdateFramesTest, EachTransportsFrameIsRenderedOnceFromTheRecord) {
  const std::string json = R"({"job_id":"j","seq":42})";
  const Update update = make_update(42, JobStatus::running, json);
  EXPECT_EQ(update.seq, 42);
  EXPECT_FALSE(update.terminal());
  EXPECT_EQ(update.json(), json);
  EXPECT_EQ(update.rendered->sse, "id: 42\nevent: progress\ndata: " + json + "\n\n");
  EXPECT_EQ(update.rendered->ws, R"({"event":"progress","id":42,"data":)" + json + "}");
}

TEST(UpdateFramesTest, ARecordWithLineBreaksGoesOutAsOneDataLinePerLine) {
  const Update update = make_update(3, JobStatus::completed, "{\n\"seq\":3\n}");
  EXPECT_TRUE(update.terminal());
  EXPECT_EQ(update.rendered->sse, "id: 3\nevent: progress\ndata: {\ndata: \"seq\":3\ndata: }\n\n");
}

TEST(UpdateFramesTest, ParsingKeepsTheRecordsBytesAndRefusesAnotherJobsRecord) {
  const std::string job_id = make_uuid();
  const std::string json = record_json(job_id, 8, JobStatus::cancelled);
  RecordVerdict verdict = RecordVerdict::invalid;
  auto update = parse_update(json, job_id, verdict);
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(verdict, RecordVerdict::valid);
  EXPECT_EQ(update->seq, 8);
  EXPECT_EQ(update->status, JobStatus::cancelled);
  EXPECT_EQ(update->json(), json);

  EXPECT_FALSE(parse_update(json, make_uuid(), verdict).has_value());
  EXPECT_EQ(verdict, RecordVerdict::other_job);
  EXPECT_FALSE(parse_update("{}", job_id, verdict).has_value());
  EXPECT_EQ(verdict, RecordVerdict::invalid);
}

// ------------------------------------------------------------ LoginLimiter

TEST(LoginLimiterTest, AUserGetsMaxAttemptsPerWindowThenWaitsForTheOldestToLeaveIt) {
  LoginLimiter limiter(3, 60);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.1", 100), 0);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.2", 110), 0);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.3", 120), 0);
  EXPECT_DOUBLE_EQ(limiter.begin_attempt("alice", "10.0.0.4", 130), 30);
  // The refused attempt was not counted: at 160 the first has left the window.
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.4", 160), 0);
  EXPECT_DOUBLE_EQ(limiter.begin_attempt("alice", "10.0.0.5", 161), 9);
}

TEST(LoginLimiterTest, AnAddressIsLimitedAcrossUserNames) {
  LoginLimiter limiter(2, 60);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.1", 0), 0);
  EXPECT_EQ(limiter.begin_attempt("bob", "10.0.0.1", 1), 0);
  EXPECT_DOUBLE_EQ(limiter.begin_attempt("carol", "10.0.0.1", 2), 58);
  EXPECT_EQ(limiter.begin_attempt("carol", "10.0.0.2", 2), 0);
}

TEST(LoginLimiterTest, ASuccessClearsTheUserAndTakesItsAttemptBackFromTheAddress) {
  LoginLimiter limiter(2, 60);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.1", 0), 0);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.2", 1), 0);
  limiter.succeeded("alice", "10.0.0.2", 1);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.2", 2), 0);
  EXPECT_EQ(limiter.begin_attempt("bob", "10.0.0.2", 3), 0);
  EXPECT_GT(limiter.begin_attempt("carol", "10.0.0.2", 4), 0);  // 2 and 3 remain
}

TEST(LoginLimiterTest, AnAttemptThatCouldNotBeCheckedCountsAgainstNeither) {
  LoginLimiter limiter(1, 60);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.1", 0), 0);
  EXPECT_GT(limiter.begin_attempt("alice", "10.0.0.1", 1), 0);
  limiter.abandon("alice", "10.0.0.1", 0);
  EXPECT_EQ(limiter.begin_attempt("alice", "10.0.0.1", 2), 0);
}

// --------------------------------------------------------- CredentialCache

TEST(CredentialCacheTest, AnEntryLivesItsTtlOnTheInjectedClock) {
  auto clock = std::make_shared<ManualClock>(1000);
  CredentialCache cache(std::chrono::seconds(30), 100, clock);
  cache.put("token:a", {Caller{"alice", false}, {}});
  cache.put("session:b", {Caller{"bob", true}, "csrf-b"});
  clock->advance(29.5);
  auto alice = cache.find("token:a");
  ASSERT_TRUE(alice.has_value());
  ASSERT_TRUE(alice->caller.has_value());
  EXPECT_EQ(alice->caller->name, "alice");
  auto bob = cache.find("session:b");
  ASSERT_TRUE(bob.has_value());
  EXPECT_TRUE(bob->caller->admin);
  EXPECT_EQ(bob->csrf_token, "csrf-b");
  clock->advance(0.5);
  EXPECT_FALSE(cache.find("token:a").has_value());
  EXPECT_FALSE(cache.find("session:b").has_value());
}

TEST(CredentialCacheTest, ARejectedCredentialIsRememberedAsRejected) {
  auto clock = std::make_shared<ManualClock>();
  CredentialCache cache(std::chrono::seconds(30), 100, clock);
  cache.put("token:guess", {std::nullopt, {}});
  auto cached = cache.find("token:guess");
  ASSERT_TRUE(cached.has_value());
  EXPECT_FALSE(cached->caller.has_value());
  EXPECT_FALSE(cache.find("token:never-seen").has_value());
}

TEST(CredentialCacheTest, EraseForgetsAtOnce) {
  auto clock = std::make_shared<ManualClock>();
  CredentialCache cache(std::chrono::seconds(30), 100, clock);
  cache.put("session:s", {Caller{"alice", false}, "csrf"});
  cache.erase("session:s");
  EXPECT_FALSE(cache.find("session:s").has_value());
}

TEST(CredentialCacheTest, AFullCacheDropsExpiredEntriesFirstAndElseStartsOver) {
  auto clock = std::make_shared<ManualClock>();
  CredentialCache cache(std::chrono::seconds(10), 3, clock);
  cache.put("old", {Caller{"old", false}, {}});
  clock->advance(6);
  cache.put("a", {Caller{"a", false}, {}});
  cache.put("b", {Caller{"b", false}, {}});
  clock->advance(5);  // "old" has expired; "a" and "b" have not
  cache.put("c", {Caller{"c", false}, {}});
  EXPECT_TRUE(cache.find("a").has_value());
  EXPECT_TRUE(cache.find("b").has_value());
  EXPECT_TRUE(cache.find("c").has_value());
  // Full of live entries: one more starts the cache over with just that one.
  cache.put("d", {Caller{"d", false}, {}});
  EXPECT_FALSE(cache.find("a").has_value());
  EXPECT_FALSE(cache.find("c").has_value());
  EXPECT_TRUE(cache.find("d").has_value());
}

}  // namespace
}  // namespace headway::server
