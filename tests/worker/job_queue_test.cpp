// The server's side of the queue (enqueue_job, cancel_job) against a real
// redis-server and a job table on SQLite and on PostgreSQL, with no worker
// running.
#include "worker/worker_fixture.hpp"

#include "jobs/queue_keys.hpp"
#include "redis/keys.hpp"

namespace headway::test {
namespace {

using worker::CancelOutcome;
using worker::JobError;

class JobQueueTest : public WorkerFixture {
 protected:
  long long queue_length() const {
    auto length = redis_.command({"XLEN", redis::keys::kJobsQueue});
    return length.reply->integer;
  }
};

TEST_P(JobQueueTest, EnqueueInsertsTheRowWritesTheQueuedRecordAndQueuesTheJob) {
  const std::string id = enqueue("timetable", R"({"clusters": 12, "duration_s": 2})");
  ASSERT_FALSE(id.empty());

  const auto job = row(id);
  EXPECT_EQ(job.status, JobStatus::queued);
  EXPECT_EQ(job.owner, "alice");
  EXPECT_EQ(job.type, "timetable");
  // Stored with the defaults filled in.
  const auto params = boost::json::parse(job.params).as_object();
  EXPECT_EQ(params.at("clusters").as_int64(), 12);

  const auto stored = record(id);
  EXPECT_EQ(stored.at("status"), "queued");
  EXPECT_EQ(stored.at("seq").as_int64(), 1);
  EXPECT_EQ(stored.at("attempt").as_int64(), 1);
  ASSERT_EQ(stored.at("stages").as_array().size(), 5u);
  EXPECT_EQ(stored.at("stages").as_array()[2].at("name"), "cpsat_solving");
  auto ttl = redis_.command({"TTL", redis::keys::record(id)});
  EXPECT_GT(ttl.reply->integer, 0);

  EXPECT_EQ(queue_length(), 1);
  EXPECT_EQ(events(id).size(), 1u);
}

TEST_P(JobQueueTest, ExternalJobsGetARowAndARecordButNoQueueEntry) {
  const std::string id = enqueue("external", R"({"source": "nightly.sh"})");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(row(id).status, JobStatus::queued);
  EXPECT_EQ(record_status(id), "queued");
  EXPECT_EQ(queue_length(), 0);
}

TEST_P(JobQueueTest, BadRequestsAreRejectedNamingTheFieldAndLeaveNothingBehind) {
  auto unknown = worker::enqueue_job(*connection_, *store_, catalog_,
                                     {.owner = "alice", .type = "teleport", .params_json = "{}"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, JobError::Code::invalid_input);
  EXPECT_EQ(unknown.error().field, "type");

  auto bad = worker::enqueue_job(
      *connection_, *store_, catalog_,
      {.owner = "alice", .type = "timetable", .params_json = R"({"clusters": -3})"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, JobError::Code::invalid_input);
  EXPECT_EQ(bad.error().field, "params.clusters");
  EXPECT_NE(bad.error().message.find("params.clusters"), std::string::npos);

  auto page = store_->list_jobs({});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 0);
  EXPECT_EQ(queue_length(), 0);
}

TEST_P(JobQueueTest, ATakenIdIsAConflict) {
  const std::string id = enqueue("timetable", "{}");
  auto again = worker::enqueue_job(*connection_, *store_, catalog_,
                                   {.owner = "bob", .type = "timetable", .id = id});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, JobError::Code::conflict);
}

TEST_P(JobQueueTest, CancellingAQueuedJobEndsItsRecordAndRowAndIsIdempotent) {
  const std::string id = enqueue("timetable", "{}");
  auto cancelled = cancel(id);
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(*cancelled, CancelOutcome::cancelled);

  const auto stored = record(id);
  EXPECT_EQ(stored.at("status"), "cancelled");
  EXPECT_EQ(stored.at("seq").as_int64(), 2);
  EXPECT_EQ(stored.at("stages").as_array().size(), 5u);
  const auto job = row(id);
  EXPECT_EQ(job.status, JobStatus::cancelled);
  EXPECT_TRUE(job.finished_at.has_value());
  EXPECT_EQ(job.last_seq, 2);
  EXPECT_TRUE(redis_.get(redis::keys::cancel(id)).has_value());
  // The terminal record is on progress:events for the recorder.
  const auto logged = events(id);
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged.back().at("status"), "cancelled");

  auto again = cancel(id);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, CancelOutcome::already_cancelled);
  EXPECT_EQ(record(id).at("seq").as_int64(), 2);
}

// Such a record once made the cancellation's write fail for good: the write
// script answered the poisoned seq, which no next seq could exceed.
TEST_P(JobQueueTest, CancellingAQueuedJobReplacesAPoisonedStoredRecord) {
  for (const std::string seq : {"1e300", "9223372036854775807", "9007199254740992"}) {
    const std::string id = enqueue("timetable", "{}");
    ASSERT_TRUE(redis_
                    .command({"SET", redis::keys::record(id),
                              R"({"job_id":")" + id + R"(","status":"queued","seq":)" + seq + "}"})
                    .ok());
    auto cancelled = cancel(id);
    ASSERT_TRUE(cancelled) << seq << ": " << cancelled.error().message;
    EXPECT_EQ(*cancelled, CancelOutcome::cancelled);
    const auto stored = record(id);
    EXPECT_EQ(stored.at("status"), "cancelled") << seq;
    EXPECT_EQ(stored.at("seq").as_int64(), 2) << seq;
    EXPECT_EQ(row(id).last_seq, 2) << seq;
  }
}

TEST_P(JobQueueTest, CancellingARunningJobOnlyRaisesTheFlag) {
  const std::string id = enqueue("timetable", "{}");
  ASSERT_TRUE(store_->set_status({.job_id = id, .status = JobStatus::running}));
  auto cancelled = cancel(id);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(*cancelled, CancelOutcome::cancel_requested);
  EXPECT_TRUE(redis_.get(redis::keys::cancel(id)).has_value());
  EXPECT_EQ(row(id).status, JobStatus::running);
  EXPECT_EQ(record_status(id), "queued");
}

TEST_P(JobQueueTest, CancellingAFinishedJobIsAConflictAndUnknownJobsAreNotFound) {
  const std::string id = enqueue("timetable", "{}");
  ASSERT_TRUE(store_->set_status({.job_id = id, .status = JobStatus::completed}));
  auto finished = cancel(id);
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().code, JobError::Code::conflict);
  EXPECT_NE(finished.error().message.find("completed"), std::string::npos);
  EXPECT_FALSE(redis_.get(redis::keys::cancel(id)).has_value());

  auto missing = cancel("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, JobError::Code::not_found);
  auto malformed = cancel("not-a-uuid");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, JobError::Code::invalid_input);
}

TEST_P(JobQueueTest, WhenRedisIsDownEnqueueIsUnavailableAndTheRowIsNotLeftQueued) {
  redis_.stop();
  auto job =
      worker::enqueue_job(*connection_, *store_, catalog_, {.owner = "alice", .type = "timetable"});
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().code, JobError::Code::unavailable);
  auto page = store_->list_jobs({});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].status, JobStatus::failed);
  EXPECT_NE(page->jobs[0].error.find("could not be queued"), std::string::npos);
}

TEST_P(JobQueueTest, TheJobQueueClassReconnectsAfterRedisComesBack) {
  redis::Endpoint endpoint = redis_.endpoint();
  worker::JobQueue queue(endpoint, *store_, catalog_);
  ASSERT_TRUE(queue.enqueue({.owner = "alice", .type = "timetable"}));
  redis_.kill();
  EXPECT_FALSE(queue.enqueue({.owner = "alice", .type = "timetable"}));
  redis_.start();
  auto job = queue.enqueue({.owner = "alice", .type = "timetable"});
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(record_status(job->id), "queued");
}

INSTANTIATE_TEST_SUITE_P(Backends, JobQueueTest, database_backends(), DatabaseBackendName());

}  // namespace
}  // namespace headway::test
