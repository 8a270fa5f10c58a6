// No job is stuck, whatever Redis forgets: real `headway worker` processes, a
// real redis-server killed and restarted (empty, or with its AOF), the
// liveness sweep, and a job table on SQLite and on PostgreSQL.
#include "jobs/liveness.hpp"

#include <signal.h>

#include <thread>

#include "jobs/queue_keys.hpp"
#include "redis/keys.hpp"
#include "worker/worker_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class LivenessTest : public WorkerFixture {
 protected:
  using WorkerFixture::WorkerFixture;

  // The sweep as `headway serve` runs it, in this process.
  std::unique_ptr<worker::LivenessSweeper> start_sweeper(
      std::chrono::milliseconds lost_after, std::chrono::milliseconds external_timeout = 10min) {
    std::string error;
    auto endpoint = redis::parse_redis_url(redis_.url(), error);
    EXPECT_TRUE(endpoint) << error;
    auto sweeper = std::make_unique<worker::LivenessSweeper>(
        *endpoint, *store_,
        worker::LivenessOptions{.lost_after = lost_after, .external_timeout = external_timeout});
    sweeper->start();
    return sweeper;
  }
  // kill -9 and start again: without persistence Redis comes back empty.
  void restart_redis() {
    redis_.kill();
    redis_.start();
    connection_ = redis_.connect();
  }
  long long queue_length() const {
    auto length = redis_.command({"XLEN", redis::keys::kJobsQueue});
    return length.reply->integer;
  }
  // Runs started, as the `initializing` records on progress:events tell.
  int starts(const std::string& id) const {
    int count = 0;
    for (const auto& logged : events(id))
      count += logged.at("status") == "initializing" ? 1 : 0;
    return count;
  }
  static std::string error_of(const json::object& stored) {
    const auto* error = stored.at("metadata").as_object().if_contains("error");
    return error ? std::string(error->as_string()) : "";
  }
  bool row_reaches(const std::string& id, JobStatus status) const {
    const bool reached = eventually([&] { return row(id).status == status; }, 30s);
    if (!reached)
      ADD_FAILURE() << "row of " << id << " stayed " << to_string(row(id).status);
    return reached;
  }
};

TEST_P(LivenessTest, ARunningJobCarriesOnWhenRedisRestartsEmpty) {
  auto worker = start_worker({"--reclaim-idle", "2"});
  const std::string id = enqueue("timetable", R"({"duration_s": 6})");
  ASSERT_TRUE(await_status(id, "running"));
  restart_redis();  // the lease, the queue entry and the record are gone

  // The worker takes its lease again instead of abandoning the run.
  ASSERT_TRUE(await_status(id, "completed"));
  EXPECT_EQ(record(id).at("attempt").as_int64(), 1);
  ASSERT_TRUE(row_reaches(id, JobStatus::completed));
  EXPECT_EQ(row(id).attempts, 1);
  EXPECT_NE(worker_logs().find("took it again"), std::string::npos);
}

TEST_P(LivenessTest, AJobWhoseWorkerDiedWithRedisRunsAgainAndCompletes) {
  auto first = start_worker({"--reclaim-idle", "2"});
  const std::string id = enqueue("timetable", R"({"duration_s": 3})");
  ASSERT_TRUE(await_status(id, "running"));
  first.signal(SIGKILL);
  first.wait();
  restart_redis();  // nothing in Redis says the job exists; the table does

  auto sweeper = start_sweeper(1s);
  auto second = start_worker({"--reclaim-idle", "2"});
  ASSERT_TRUE(await_status(id, "completed", 90s));
  // The attempt counter went with Redis; the table's count carries on.
  EXPECT_EQ(record(id).at("attempt").as_int64(), 2);
  ASSERT_TRUE(row_reaches(id, JobStatus::completed));
  EXPECT_EQ(row(id).attempts, 2);
}

TEST_P(LivenessTest, AJobWhoseLastAttemptDiedWithRedisFailsAsWorkerLost) {
  const std::vector<std::string> flags = {"--reclaim-idle", "2", "--max-attempts", "1"};
  auto first = start_worker(flags);
  const std::string id = enqueue("timetable", R"({"duration_s": 30})");
  ASSERT_TRUE(await_status(id, "running"));
  first.signal(SIGKILL);
  first.wait();
  restart_redis();

  auto sweeper = start_sweeper(1s);
  auto second = start_worker(flags);
  ASSERT_TRUE(await_status(id, "failed", 90s));
  EXPECT_NE(error_of(record(id)).find("worker lost"), std::string::npos);
  ASSERT_TRUE(row_reaches(id, JobStatus::failed));
  EXPECT_NE(row(id).error.find("worker lost"), std::string::npos);
  EXPECT_EQ(starts(id), 0) << "the job ran a second time";
}

TEST_P(LivenessTest, AQueuedJobWhoseQueueEntryVanishedStillRuns) {
  const std::string id = enqueue("timetable", R"({"duration_s": 0.5})");
  restart_redis();
  ASSERT_EQ(queue_length(), 0);

  auto sweeper = start_sweeper(1s);
  auto worker = start_worker({"--reclaim-idle", "2"});
  ASSERT_TRUE(await_status(id, "completed", 90s));
  EXPECT_EQ(record(id).at("attempt").as_int64(), 1);
  ASSERT_TRUE(row_reaches(id, JobStatus::completed));
  // Seq continues from the row's, so watchers on the table fallback take every record.
  EXPECT_GT(record(id).at("seq").as_int64(), 1);
}

TEST_P(LivenessTest, ACancelOfAJobWhoseRunIsDeadCancelsIt) {
  auto worker = start_worker({"--reclaim-idle", "1"});
  const std::string id = enqueue("timetable", R"({"duration_s": 120})");
  ASSERT_TRUE(await_status(id, "running"));
  worker.signal(SIGKILL);
  worker.wait();
  const std::int64_t seq_at_death = record(id).at("seq").as_int64();

  // No worker is left to see the flag.
  auto outcome = cancel(id);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, worker::CancelOutcome::cancel_requested);
  auto sweeper = start_sweeper(1s);
  ASSERT_TRUE(await_status(id, "cancelled", 60s));
  EXPECT_EQ(record(id).at("seq").as_int64(), seq_at_death + 1);
  ASSERT_TRUE(row_reaches(id, JobStatus::cancelled));
  EXPECT_TRUE(row(id).finished_at.has_value());
  EXPECT_TRUE(eventually([&] { return queue_length() == 0; }));
}

TEST_P(LivenessTest, ASilentExternalJobFailsAfterItsHeartbeatTimeout) {
  const std::string id = enqueue("external", R"({"source": "nightly.sh"})");
  auto sweeper = start_sweeper(30s, 1s);
  ASSERT_TRUE(await_status(id, "failed", 60s));
  EXPECT_NE(error_of(record(id)).find("no progress record"), std::string::npos);
  EXPECT_EQ(record(id).at("seq").as_int64(), 2);
  ASSERT_TRUE(row_reaches(id, JobStatus::failed));
  EXPECT_NE(row(id).error.find("no progress record"), std::string::npos);
}

// The sweep stepped through time by hand: what counts as a sign of life.
TEST_P(LivenessTest, AnExternalJobFailsOnlyAfterATimeoutWithoutAnyNewRecord) {
  const std::string id = enqueue("external", "{}");
  worker::LivenessSweep sweep(*store_, {.lost_after = 1s, .external_timeout = 10s});
  const auto start = std::chrono::steady_clock::now();
  auto at = [&](std::chrono::seconds offset) {
    auto report = sweep.sweep(*connection_, start + offset);
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : worker::SweepReport{};
  };
  EXPECT_EQ(at(0s).checked, 1);
  // Its program reports: the timeout starts again.
  auto stored = record(id);
  stored["seq"] = 2;
  stored["status"] = "running";
  redis_.command({"SET", redis::keys::record(id), json::serialize(stored)});
  EXPECT_EQ(at(10s).failed, 0);
  EXPECT_EQ(at(19s).failed, 0);
  EXPECT_EQ(record_status(id), "running");
  EXPECT_EQ(at(20s).failed, 1);
  EXPECT_EQ(record_status(id), "failed");
  EXPECT_EQ(record(id).at("seq").as_int64(), 3);
  EXPECT_EQ(row(id).status, JobStatus::failed);
  EXPECT_EQ(at(30s).checked, 0);
}

TEST_P(LivenessTest, AJobWithALeaseOrALiveQueueEntryIsNeverTouched) {
  const std::string leased = enqueue("timetable", "{}");
  const std::string waiting = enqueue("timetable", "{}");
  redis_.command({"SET", worker::keys::lease(leased), "a-live-worker"});
  // The leased job's entry was taken by its worker long ago; the other waits.
  redis_.command({"XGROUP", "CREATE", redis::keys::kJobsQueue, worker::keys::kWorkersGroup, "0"});
  redis_.command({"XREADGROUP", "GROUP", worker::keys::kWorkersGroup, "gone", "COUNT", "1",
                  "STREAMS", redis::keys::kJobsQueue, ">"});
  worker::LivenessSweep sweep(*store_, {.lost_after = 1s});
  const auto start = std::chrono::steady_clock::now();
  for (auto offset : {0h, 1h, 2h}) {
    auto report = sweep.sweep(*connection_, start + offset);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->checked, 2);
    EXPECT_EQ(report->requeued + report->cancelled + report->failed, 0);
  }
  EXPECT_EQ(queue_length(), 2);
  EXPECT_EQ(record(leased).at("seq").as_int64(), 1);
  EXPECT_EQ(record(waiting).at("seq").as_int64(), 1);
}

TEST_P(LivenessTest, ATerminalRecordTheTableMissedIsFoldedIn) {
  const std::string id = enqueue("timetable", "{}");
  auto stored = record(id);
  stored["seq"] = 9;
  stored["status"] = "completed";
  stored["overall_progress"] = 100;
  redis_.command({"SET", redis::keys::record(id), json::serialize(stored)});
  redis_.command({"DEL", redis::keys::kJobsQueue});
  worker::LivenessSweep sweep(*store_, {.lost_after = 1s});
  auto report = sweep.sweep(*connection_, std::chrono::steady_clock::now());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->folded, 1);
  EXPECT_EQ(row(id).status, JobStatus::completed);
  EXPECT_EQ(row(id).last_seq, 9);
}

INSTANTIATE_TEST_SUITE_P(Backends, LivenessTest, database_backends(), DatabaseBackendName());

// Redis with an append-only file that it syncs on every write, so a kill -9
// loses nothing: only the outage itself is tested.
class RedisOutageTest : public LivenessTest {
 protected:
  RedisOutageTest()
      : LivenessTest(std::vector<std::string>{"--appendonly", "yes", "--appendfsync", "always"}) {}
};

TEST_P(RedisOutageTest, AnOutageShorterThanTheLeaseCostsTheRunningJobNothing) {
  // --reclaim-idle 40: a lease of 30 s.
  constexpr auto kLease = 30000ms;
  auto worker = start_worker({"--reclaim-idle", "40"});
  const std::string id = enqueue("timetable", R"({"duration_s": 40, "clusters": 40})");
  ASSERT_TRUE(await_status(id, "running"));
  const std::int64_t seq_before = record(id).at("seq").as_int64();
  // The worst moment for the fault: the lease as worn as the heartbeat lets
  // it get. Watch it for a third of its life; kill Redis once it is down to
  // 3/4, or at the end of the watch if it never gets that low.
  eventually(
      [&] {
        auto left = redis_.command({"PTTL", worker::keys::lease(id)});
        return left.reply->integer <= kLease.count() * 3 / 4;
      },
      kLease / 3, 5ms);
  redis_.kill();
  // The fault itself: Redis stays away for 0.78 of the lease, less than the
  // lease had left when the heartbeat renews it at least every sixth of it
  // (nothing is waited for here, so this is a sleep).
  std::this_thread::sleep_for(kLease * 78 / 100);
  redis_.start();
  connection_ = redis_.connect();

  ASSERT_TRUE(await_status(id, "completed", 90s));
  EXPECT_GT(record(id).at("seq").as_int64(), seq_before);
  EXPECT_EQ(record(id).at("attempt").as_int64(), 1);
  EXPECT_EQ(starts(id), 1);
  ASSERT_TRUE(row_reaches(id, JobStatus::completed));
  EXPECT_EQ(row(id).attempts, 1);
  EXPECT_EQ(worker_logs().find("lost its lease"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, RedisOutageTest, database_backends(), DatabaseBackendName());

}  // namespace
}  // namespace headway::test
