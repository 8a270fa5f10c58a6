// Real `headway worker` processes against a real redis-server and a job
// table on SQLite and on PostgreSQL: the reference job end to end, queued and running cancellation,
// a killed worker's job taken over, two workers sharing a queue, command
// jobs, and shutdown on SIGTERM.
#include <signal.h>

#include <fstream>
#include <set>
#include <thread>

#include "jobs/queue_keys.hpp"
#include "redis/keys.hpp"
#include "support/channel_listener.hpp"
#include "worker/worker_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class WorkerProcessTest : public WorkerFixture {
 protected:
  // The queue entries delivered to some worker and not yet acknowledged.
  long long pending_entries() const {
    auto pending =
        redis_.command({"XPENDING", redis::keys::kJobsQueue, worker::keys::kWorkersGroup});
    if (!pending.ok() || pending.reply->type != REDIS_REPLY_ARRAY)
      return 0;
    return pending.reply->element[0]->integer;
  }
  // How often the oldest pending entry was delivered (XPENDING's counter).
  long long deliveries() const {
    auto pending = redis_.command(
        {"XPENDING", redis::keys::kJobsQueue, worker::keys::kWorkersGroup, "-", "+", "1"});
    if (!pending.ok() || pending.reply->type != REDIS_REPLY_ARRAY || pending.reply->elements == 0)
      return 0;
    return pending.reply->element[0]->element[3]->integer;
  }
  // The consumer names the group lists.
  std::set<std::string> consumers() const {
    std::set<std::string> names;
    auto info = redis_.command(
        {"XINFO", "CONSUMERS", redis::keys::kJobsQueue, worker::keys::kWorkersGroup});
    if (!info.ok() || info.reply->type != REDIS_REPLY_ARRAY)
      return names;
    for (std::size_t i = 0; i < info.reply->elements; ++i) {
      const redisReply* fields = info.reply->element[i];
      for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (std::string_view(fields->element[f]->str) == "name")
          names.emplace(fields->element[f + 1]->str, fields->element[f + 1]->len);
      }
    }
    return names;
  }
  std::string stage_of(const std::string& job_id) const {
    auto stored = record(job_id);
    return stored.contains("stage") ? std::string(stored.at("stage").as_string()) : "";
  }
  std::string error_of(const json::object& stored) const {
    const auto* error = stored.at("metadata").as_object().if_contains("error");
    return error ? std::string(error->as_string()) : "";
  }
  // Lets a command job run `script`.
  std::string command_config(const std::filesystem::path& script, const std::string& extra = "") {
    const auto file = path("worker.json");
    std::ofstream(file) << R"({"commands": {"script": {"path": ")" << script.string() << R"(")"
                        << extra << "}}}";
    auto loaded = worker::load_worker_config(file);
    EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
    if (loaded)
      catalog_ = worker::JobCatalog(*loaded);
    return file.string();
  }
};

TEST_P(WorkerProcessTest, ATimetableJobQueuedBeforeAnyWorkerRunsAllFiveStagesOnceOneStarts) {
  const std::string id = enqueue("timetable", R"({"duration_s": 2, "seed": 7})");
  ChannelListener listener(redis_, id);
  // No worker yet: the job waits as queued, in the table and in Redis.
  EXPECT_EQ(record_status(id), "queued");
  EXPECT_EQ(row(id).status, JobStatus::queued);

  auto worker = start_worker({"--reclaim-idle", "5"});
  const auto records = listener.wait();
  ASSERT_TRUE(await_status(id, "completed"));

  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().at("status"), "initializing");
  EXPECT_EQ(records.back().at("status"), "completed");
  EXPECT_EQ(records.back().at("overall_progress").to_number<double>(), 100);
  std::vector<std::string> stages;
  std::int64_t last_seq = 1;  // the queued record
  double last_overall = 0;
  int cluster_updates = 0;
  for (const auto& stored : records) {
    EXPECT_GT(stored.at("seq").as_int64(), last_seq);
    last_seq = stored.at("seq").as_int64();
    const double overall = stored.at("overall_progress").to_number<double>();
    EXPECT_GE(overall, last_overall);
    last_overall = overall;
    EXPECT_EQ(stored.at("attempt").as_int64(), 1);
    const std::string stage(stored.at("stage").as_string());
    if (!stage.empty() && (stages.empty() || stages.back() != stage))
      stages.push_back(stage);
    const auto& metadata = stored.at("metadata").as_object();
    if (stage == "cpsat_solving" && stored.at("status") == "running" &&
        metadata.contains("completed_items")) {
      ++cluster_updates;
      const auto done = metadata.at("completed_items").as_int64();
      EXPECT_EQ(metadata.at("total_items").as_int64(), 216);
      // n of 216 clusters maps into the stage's 15-75 % slice.
      EXPECT_NEAR(overall, 15 + 60.0 * static_cast<double>(done) / 216, 0.006);
      EXPECT_GE(overall, 15);
      EXPECT_LE(overall, 75);
    }
  }
  const std::vector<std::string> expected = {"loading", "clustering", "cpsat_solving",
                                             "ga_optimization", "rl_refinement"};
  EXPECT_EQ(stages, expected);
  EXPECT_GT(cluster_updates, 0);

  // The worker folds the first and the last record into the table itself.
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::completed; }));
  const auto job = row(id);
  EXPECT_TRUE(job.finished_at.has_value());
  EXPECT_TRUE(job.started_at.has_value());
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.overall_progress, 100);
  // Acknowledged and removed from the queue.
  EXPECT_TRUE(eventually([&] { return pending_entries() == 0; }));
  // Stage boundaries and the terminal state are on progress:events for the recorder.
  const auto logged = events(id);
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.back().at("status"), "completed");
}

TEST_P(WorkerProcessTest, AFailingStageEndsTheJobFailedWithTheReason) {
  auto worker = start_worker();
  const std::string id = enqueue("timetable", R"({"duration_s": 1, "fail_at": "ga_optimization"})");
  ASSERT_TRUE(await_status(id, "failed"));
  const auto stored = record(id);
  EXPECT_EQ(stored.at("stage"), "ga_optimization");
  EXPECT_NE(error_of(stored).find("ga_optimization"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::failed; }));
  EXPECT_NE(row(id).error.find("ga_optimization"), std::string::npos);
}

TEST_P(WorkerProcessTest, AJobCancelledWhileQueuedNeverRuns) {
  const std::string cancelled = enqueue("timetable", R"({"duration_s": 1})");
  auto outcome = cancel(cancelled);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, worker::CancelOutcome::cancelled);
  // Queued after it, so once this one completed the worker has seen the first.
  const std::string sentinel = enqueue("timetable", R"({"duration_s": 0.2})");

  auto worker = start_worker();
  ASSERT_TRUE(await_status(sentinel, "completed"));
  EXPECT_EQ(record_status(cancelled), "cancelled");
  EXPECT_EQ(record(cancelled).at("seq").as_int64(), 2);
  EXPECT_EQ(row(cancelled).status, JobStatus::cancelled);
  for (const auto& logged : events(cancelled))
    EXPECT_NE(logged.at("status"), "initializing") << "the cancelled job started";
  EXPECT_TRUE(eventually([&] { return pending_entries() == 0; }));
}

TEST_P(WorkerProcessTest, AJobCancelledWhileRunningEndsCancelled) {
  auto worker = start_worker();
  const std::string id = enqueue("timetable", R"({"duration_s": 120})");
  ASSERT_TRUE(await_status(id, "running"));
  auto outcome = cancel(id);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, worker::CancelOutcome::cancel_requested);
  // The Tracker polls the flag every 500 ms; the job checks it every 50 ms.
  ASSERT_TRUE(await_status(id, "cancelled", 10s));
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::cancelled; }));
  EXPECT_TRUE(row(id).finished_at.has_value());
  auto again = cancel(id);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, worker::CancelOutcome::already_cancelled);
}

TEST_P(WorkerProcessTest, AJobOfAKilledWorkerIsFinishedByAnotherWithAttemptTwo) {
  auto first = start_worker({"--reclaim-idle", "1"});
  const std::string id = enqueue("timetable", R"({"duration_s": 3})");
  ASSERT_TRUE(eventually([&] { return stage_of(id) == "cpsat_solving"; }, 60s));
  first.signal(SIGKILL);
  first.wait();
  const std::int64_t seq_at_death = record(id).at("seq").as_int64();

  auto second = start_worker({"--reclaim-idle", "1"});
  ASSERT_TRUE(await_status(id, "completed"));
  const auto stored = record(id);
  EXPECT_EQ(stored.at("attempt").as_int64(), 2);
  EXPECT_GT(stored.at("seq").as_int64(), seq_at_death);
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::completed; }));
  EXPECT_EQ(row(id).attempts, 2);
  int starts = 0;
  for (const auto& logged : events(id))
    starts += logged.at("status") == "initializing" ? 1 : 0;
  EXPECT_EQ(starts, 2);
}

TEST_P(WorkerProcessTest, WithOneAttemptAKilledWorkersJobFailsAsWorkerLost) {
  auto first = start_worker({"--reclaim-idle", "1", "--max-attempts", "1"});
  const std::string id = enqueue("timetable", R"({"duration_s": 30})");
  ASSERT_TRUE(await_status(id, "running"));
  first.signal(SIGKILL);
  first.wait();

  auto second = start_worker({"--reclaim-idle", "1", "--max-attempts", "1"});
  ASSERT_TRUE(await_status(id, "failed"));
  EXPECT_NE(error_of(record(id)).find("worker lost"), std::string::npos);
  // The record is written before the job table, so the row may lag a moment.
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::failed; }));
  EXPECT_NE(row(id).error.find("worker lost"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return pending_entries() == 0; }));
}

TEST_P(WorkerProcessTest, TwoWorkersOnOneQueueRunEachJobExactlyOnce) {
  auto first = start_worker({"--concurrency", "2", "--reclaim-idle", "1"});
  auto second = start_worker({"--concurrency", "2", "--reclaim-idle", "1"});
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i)
    ids.push_back(enqueue("timetable", R"({"duration_s": 1.5, "clusters": 40})"));
  for (const auto& id : ids)
    ASSERT_TRUE(await_status(id, "completed"));
  for (const auto& id : ids) {
    int starts = 0;
    for (const auto& logged : events(id))
      starts += logged.at("status") == "initializing" ? 1 : 0;
    EXPECT_EQ(starts, 1) << "job " << id << " ran " << starts << " times";
    EXPECT_EQ(record(id).at("attempt").as_int64(), 1);
  }
}

// Mean relative error of the ETAs a run published in its first 30 %, each
// against the time the run then still took (to its terminal record).
double early_eta_error(const std::vector<json::object>& records) {
  const double end = records.back().at("last_updated").to_number<double>();
  double total = 0;
  int counted = 0;
  for (const auto& stored : records) {
    if (stored.at("status") != "running" || !stored.at("eta_seconds").is_number() ||
        stored.at("overall_progress").to_number<double>() > 30)
      continue;
    const double truth = end - stored.at("last_updated").to_number<double>();
    total += std::abs(stored.at("eta_seconds").to_number<double>() - truth) / truth;
    ++counted;
  }
  EXPECT_GT(counted, 0);
  return counted > 0 ? total / counted : 0;
}

TEST_P(WorkerProcessTest, AfterThreeCompletedRunsTheFourthRunsEarlyEtaIsCloserThanTheFirsts) {
  // Four runs of one job; its stages run at other speeds than their weights
  // say (loading 8 % of the time for 5 % of the progress), which a run's
  // own early reports cannot tell. The fourth has the first three as its
  // prior, the first has none.
  std::vector<std::string> ids;
  std::vector<std::unique_ptr<ChannelListener>> listeners;
  for (int run = 0; run < 4; ++run) {
    ids.push_back(enqueue("timetable", R"({"duration_s": 4, "seed": 11})"));
    listeners.push_back(std::make_unique<ChannelListener>(redis_, ids.back()));
  }
  auto worker = start_worker();  // one job at a time, in queue order
  std::vector<std::vector<json::object>> records;
  for (auto& listener : listeners)
    records.push_back(listener->wait());
  for (const auto& id : ids)
    ASSERT_TRUE(await_status(id, "completed"));
  for (const auto& run : records) {
    ASSERT_FALSE(run.empty());
    ASSERT_EQ(run.back().at("status"), "completed");
  }
  // The worker folded every stage boundary, with no recorder running.
  const auto timings = store_->stage_timings(ids[0]);
  ASSERT_TRUE(timings.has_value()) << timings.error().message;
  ASSERT_EQ(timings->size(), 5u);
  for (const auto& timing : *timings)
    EXPECT_TRUE(timing.finished_at.has_value()) << timing.stage;
  EXPECT_TRUE(eventually([&] {
    return worker_logs().find("job " + ids[3] + ": ETA prior from 3 earlier runs") !=
           std::string::npos;
  })) << worker_logs();
  EXPECT_EQ(worker_logs().find("job " + ids[0] + ": ETA prior"), std::string::npos);

  const double first = early_eta_error(records[0]);
  const double fourth = early_eta_error(records[3]);
  RecordProperty("first_run_early_eta_error", std::to_string(first));
  RecordProperty("fourth_run_early_eta_error", std::to_string(fourth));
  EXPECT_LT(fourth, first) << "first run " << first << ", fourth run " << fourth;
}

TEST_P(WorkerProcessTest, AnEntryWhoseLeaseAnotherWorkerHoldsIsLeftAloneUntilTheLeaseIsGone) {
  const std::string id = enqueue("timetable", R"({"duration_s": 0.2})");
  // As if another, live worker were running it.
  redis_.command({"SET", worker::keys::lease(id), "someone-else", "EX", "600"});
  auto worker = start_worker({"--reclaim-idle", "1"});
  // Delivered, left alone, reclaimed once idle and left alone again.
  ASSERT_TRUE(eventually([&] { return deliveries() >= 2; }));
  EXPECT_EQ(record_status(id), "queued");
  redis_.command({"DEL", worker::keys::lease(id)});
  // Reclaimed once idle, and now run.
  ASSERT_TRUE(await_status(id, "completed"));
  EXPECT_EQ(record(id).at("attempt").as_int64(), 1);
}

TEST_P(WorkerProcessTest, SigtermLetsRunningJobsFinishWithinTheGracePeriod) {
  auto worker = start_worker({"--grace", "60"});
  const std::string id = enqueue("timetable", R"({"duration_s": 2})");
  ASSERT_TRUE(await_status(id, "running"));
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(60s), 0);
  EXPECT_EQ(record_status(id), "completed");
}

TEST_P(WorkerProcessTest, SigtermFailsJobsStillRunningAfterTheGracePeriod) {
  auto worker = start_worker({"--grace", "0.3"});
  const std::string id = enqueue("timetable", R"({"duration_s": 300})");
  ASSERT_TRUE(await_status(id, "running"));
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(60s), 0);
  ASSERT_TRUE(await_status(id, "failed", 1s));
  EXPECT_NE(error_of(record(id)).find("worker shut down"), std::string::npos);
  EXPECT_EQ(row(id).status, JobStatus::failed);
  EXPECT_EQ(pending_entries(), 0);
}

TEST_P(WorkerProcessTest, ACommandJobReportsItsProgressLinesAndCompletes) {
  const auto script = write_script("steps.sh", R"(
echo "starting $1 $2"
echo "headway: stage fetch"
echo "headway: progress 1/2"
echo "headway: message fetched $2"
echo "headway: progress 2/2"
echo "headway: stage build"
echo "headway: progress 50%"
exit 0
)");
  const auto config = command_config(
      script, R"(, "params": {"name": {"type": "string", "flag": "--name", "required": true}},
                   "stages": [{"name": "fetch", "weight": 40}, {"name": "build", "weight": 60}])");
  const std::string id = enqueue("command", R"({"command": "script", "args": {"name": "alpha"}})");
  ChannelListener listener(redis_, id);
  auto worker = start_worker({"--commands", config});
  const auto records = listener.wait();
  ASSERT_TRUE(await_status(id, "completed"));
  bool saw_message = false;
  std::set<std::string> stages;
  for (const auto& stored : records) {
    stages.insert(std::string(stored.at("stage").as_string()));
    const auto* message = stored.at("metadata").as_object().if_contains("message");
    saw_message = saw_message || (message && message->as_string() == "fetched alpha");
  }
  EXPECT_TRUE(saw_message);
  EXPECT_TRUE(stages.count("fetch") && stages.count("build"));
  EXPECT_EQ(records.front().at("stages").as_array()[1].at("name"), "build");
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::completed; }));
}

TEST_P(WorkerProcessTest, AFailingCommandFailsTheJobWithTheTailOfItsStderr) {
  const auto script = write_script("broken.sh", R"(
echo "headway: progress 1/4"
echo "warming up" >&2
echo "disk quota exceeded on /data" >&2
exit 3
)");
  const auto config = command_config(script);
  auto worker = start_worker({"--commands", config});
  const std::string id = enqueue("command", R"({"command": "script"})");
  ASSERT_TRUE(await_status(id, "failed"));
  const std::string error = error_of(record(id));
  EXPECT_NE(error.find("exit status 3"), std::string::npos) << error;
  EXPECT_NE(error.find("disk quota exceeded on /data"), std::string::npos) << error;
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::failed; }));
  EXPECT_NE(row(id).error.find("disk quota exceeded"), std::string::npos);
}

TEST_P(WorkerProcessTest, ACancelledCommandIsTerminatedAndEndsCancelled) {
  // Announces itself, then waits for its signal.
  const auto script = write_script("forever.sh", R"(
trap 'echo "terminated" > ")" + path("terminated").string() +
                                                     R"("; exit 143' TERM
echo "headway: progress 1/100"
while true; do sleep 0.05; done
)");
  const auto config = command_config(script, R"(, "stop_grace_s": 30)");
  auto worker = start_worker({"--commands", config});
  const std::string id = enqueue("command", R"({"command": "script"})");
  ASSERT_TRUE(eventually([&] {
    auto stored = record(id);
    return stored.contains("metadata") &&
           stored.at("metadata").as_object().contains("completed_items");
  }));
  ASSERT_TRUE(cancel(id));
  ASSERT_TRUE(await_status(id, "cancelled", 20s));
  // SIGTERM reached the script's trap (well before the 30 s SIGKILL grace).
  EXPECT_TRUE(std::filesystem::exists(path("terminated")));
}

TEST_P(WorkerProcessTest, ACommandIgnoringSigtermIsKilledAfterItsGracePeriod) {
  const auto script = write_script("stubborn.sh", R"(
trap '' TERM
echo "headway: progress 1/100"
while true; do sleep 0.05; done
)");
  const auto config = command_config(script, R"(, "stop_grace_s": 0.2)");
  auto worker = start_worker({"--commands", config});
  const std::string id = enqueue("command", R"({"command": "script"})");
  ASSERT_TRUE(eventually([&] {
    auto stored = record(id);
    return stored.contains("metadata") &&
           stored.at("metadata").as_object().contains("completed_items");
  }));
  ASSERT_TRUE(cancel(id));
  ASSERT_TRUE(await_status(id, "cancelled", 20s));
}

TEST_P(WorkerProcessTest, ACommandRunningPastItsTimeoutIsStoppedAndFailsSayingSo) {
  const auto script = write_script("slow.sh", R"(
echo "headway: progress 1/100"
echo "still indexing" >&2
while true; do sleep 0.05; done
)");
  const auto config = command_config(script, R"(, "timeout_s": 0.5, "stop_grace_s": 0.2)");
  auto worker = start_worker({"--commands", config});
  const std::string id = enqueue("command", R"({"command": "script"})");
  ASSERT_TRUE(await_status(id, "failed"));
  const std::string error = error_of(record(id));
  EXPECT_NE(error.find("script: timed out after 0.5 s"), std::string::npos) << error;
  EXPECT_NE(error.find("still indexing"), std::string::npos) << error;
  ASSERT_TRUE(eventually([&] { return row(id).status == JobStatus::failed; }));
}

TEST_P(WorkerProcessTest, ConsumersOfKilledAndStoppedWorkersLeaveTheGroup) {
  // Redis lists a consumer once it was handed an entry.
  const std::vector<std::string> flags = {"--reclaim-idle", "1", "--max-attempts", "1"};
  auto killed = start_worker(flags);
  const std::string id = enqueue("timetable", R"({"duration_s": 30})");
  ASSERT_TRUE(await_status(id, "running"));
  const auto listed = consumers();
  ASSERT_EQ(listed.size(), 1u);
  const std::string killed_name = *listed.begin();
  killed.signal(SIGKILL);
  killed.wait();

  auto stopped = start_worker(flags);
  ASSERT_TRUE(await_status(id, "failed"));
  // The job moved to the second worker, so the first holds nothing and reads
  // nothing any more: a later scan drops it.
  ASSERT_TRUE(eventually(
      [&] {
        const auto now = consumers();
        return now.size() == 1 && !now.contains(killed_name);
      },
      60s))
      << worker_logs();
  stopped.signal(SIGTERM);
  EXPECT_EQ(stopped.wait(60s), 0);
  EXPECT_TRUE(consumers().empty());
  EXPECT_NE(worker_logs().find("removed consumer " + killed_name), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkerProcessTest, database_backends(), DatabaseBackendName());

}  // namespace
}  // namespace headway::test
