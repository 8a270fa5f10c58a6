// Records in Redis that no honest writer produces (a seq a double cannot
// count past, a seq that is no number, another job's record under a job's
// key or on its channel): writers replace them, the server never relays them.
// Real `headway serve`, real redis-server, a real Tracker.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/uuid.hpp"
#include "headway/tracker.hpp"
#include "redis/keys.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

// A stored value for job `job_id`; "SEQ" in `text` becomes the seq, "JOB"
// the job id.
struct Poison {
  const char* name;
  const char* text;
};

void PrintTo(const Poison& poison, std::ostream* out) {
  *out << poison.text;
}

std::string poison_for(const Poison& poison, const std::string& job_id) {
  std::string text = poison.text;
  if (auto at = text.find("JOB"); at != std::string::npos)
    text.replace(at, 3, job_id);
  return text;
}

class PoisonedRecordTest : public ::testing::TestWithParam<Poison> {
 protected:
  RedisServer redis_;
  ServeProcess serve_{redis_};
  const std::string job_id_ = make_uuid();
};

json::object progress_snapshot(const ServeProcess& serve, const std::string& job_id) {
  auto response = http_get(serve.port(), "/api/generation/progress/" + job_id + "/", serve.auth());
  EXPECT_EQ(response.status, 200) << response.body;
  return response.status == 200 ? json::parse(response.body).as_object() : json::object{};
}

// The poisoned value once made every later write of the job fail ("the
// stored record's seq kept moving ahead") or, relayed, made streams drop every
// honest record after it.
TEST_P(PoisonedRecordTest, ATrackersNextWriteReplacesItAndStreamsAndSnapshotsShowTheTrackers) {
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id_)));
  ASSERT_TRUE(redis_
                  .command({"SET", redis::keys::record(job_id_), poison_for(GetParam(), job_id_),
                            "EX", "600"})
                  .ok());
  SseClient client(serve_.port(), stream_path(job_id_), serve_.auth());
  ASSERT_EQ(client.status(), 200);
  ASSERT_EQ(client.next()->event, "connected");

  Tracker tracker(RedisConfig::from_url(redis_.url()), job_id_);
  ASSERT_TRUE(tracker.start_stage("loading"));
  auto flushed = tracker.flush(std::chrono::seconds(20));
  ASSERT_TRUE(flushed) << flushed.error();

  auto stored = json::parse(*redis_.get(redis::keys::record(job_id_))).as_object();
  EXPECT_EQ(stored.at("job_id").as_string(), job_id_);
  EXPECT_EQ(stored.at("stage").as_string(), "loading");
  const std::int64_t tracker_seq = stored.at("seq").as_int64();
  EXPECT_LE(tracker_seq, 2) << "the Tracker counts from its own seq, not the poisoned one";

  // The stream shows the Tracker's records, and nothing but them.
  std::int64_t last_id = 0;
  for (;;) {
    auto event = client.next();
    ASSERT_TRUE(event) << "the stream never showed the Tracker's record";
    ASSERT_EQ(event->event, "progress") << event->data;
    auto record = json::parse(event->data).as_object();
    EXPECT_EQ(record.at("job_id").as_string(), job_id_);
    const std::int64_t id = std::stoll(event->id);
    EXPECT_GT(id, last_id);
    last_id = id;
    if (id == tracker_seq)
      break;
  }
  auto snapshot = progress_snapshot(serve_, job_id_);
  EXPECT_EQ(snapshot.at("seq").as_int64(), tracker_seq);
  EXPECT_EQ(snapshot.at("stage").as_string(), "loading");
}

INSTANTIATE_TEST_SUITE_P(
    StoredValues, PoisonedRecordTest,
    ::testing::Values(
        Poison{"SeqOneE300", R"({"job_id":"JOB","status":"running","seq":1e300})"},
        Poison{"SeqInt64Max", R"({"job_id":"JOB","status":"running","seq":9223372036854775807})"},
        Poison{"SeqTwoToThe53", R"({"job_id":"JOB","status":"running","seq":9007199254740992})"},
        Poison{"SeqAString", R"({"job_id":"JOB","status":"running","seq":"abc"})"},
        Poison{"SeqNegative", R"({"job_id":"JOB","status":"running","seq":-1})"},
        Poison{"NotJson", R"({"job_id":"JOB","status":)"},
        Poison{"AnotherJobsRecord", R"({"job_id":"00000000-0000-4000-8000-000000000000",)"
                                    R"("status":"completed","seq":50})"}),
    [](const auto& info) { return std::string(info.param.name); });

class ForeignRecordTest : public ::testing::Test {
 protected:
  RedisServer redis_;
  ServeProcess serve_{redis_};
  RecordWriter writer_{redis_};
  const std::string job_id_ = make_uuid();
  const std::string other_job_ = make_uuid();
};

double dropped(const ServeProcess& serve, const std::string& reason) {
  return metric(http_get(serve.port(), "/metrics").body,
                "headway_records_dropped_total{reason=\"" + reason + "\"}");
}

TEST_F(ForeignRecordTest, AnotherJobsRecordPublishedOnAJobsChannelIsDroppedAndCounted) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1)));
  SseClient client(serve_.port(), stream_path(job_id_), serve_.auth());
  ASSERT_EQ(client.next()->event, "connected");
  ASSERT_EQ(client.next()->id, "1");

  // A terminal record of another job: relayed, it would even end the stream.
  const std::string foreign = to_json(make_record(other_job_, 5, JobStatus::completed, 100));
  auto published = redis_.command({"PUBLISH", redis::keys::record(job_id_), foreign});
  ASSERT_TRUE(published.ok());
  ASSERT_EQ(published.reply->integer, 1) << "the server is subscribed to the job's channel";
  ASSERT_TRUE(writer_.write(make_record(job_id_, 2, JobStatus::running, 30)));

  auto next = client.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->event, "progress");
  EXPECT_EQ(next->id, "2");
  EXPECT_EQ(json::parse(next->data).as_object().at("job_id").as_string(), job_id_);
  EXPECT_EQ(dropped(serve_, "other_job"), 1);
}

TEST_F(ForeignRecordTest, AnotherJobsRecordUnderAJobsKeyIsNotServedAsItsSnapshot) {
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id_)));
  const std::string foreign = to_json(make_record(other_job_, 5, JobStatus::completed, 100));
  ASSERT_TRUE(redis_.command({"SET", redis::keys::record(job_id_), foreign}).ok());

  auto snapshot = progress_snapshot(serve_, job_id_);
  EXPECT_EQ(snapshot.at("job_id").as_string(), job_id_);
  EXPECT_EQ(snapshot.at("status").as_string(), "queued") << "the job table's row, not the record";
  EXPECT_GE(dropped(serve_, "other_job"), 1);

  // A job without a row is not made to exist by another job's record.
  const std::string unknown = make_uuid();
  ASSERT_TRUE(redis_.command({"SET", redis::keys::record(unknown), foreign}).ok());
  EXPECT_EQ(
      http_get(serve_.port(), "/api/generation/progress/" + unknown + "/", serve_.auth()).status,
      404);
}

TEST_F(ForeignRecordTest, AnInvalidSeqInAKeyIsCountedAsAnInvalidRecord) {
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id_)));
  ASSERT_TRUE(redis_
                  .command({"SET", redis::keys::record(job_id_),
                            R"({"job_id":")" + job_id_ + R"(","status":"running","seq":1e300})"})
                  .ok());
  auto snapshot = progress_snapshot(serve_, job_id_);
  EXPECT_EQ(snapshot.at("status").as_string(), "queued");
  EXPECT_GE(dropped(serve_, "invalid"), 1);
}

TEST_F(ForeignRecordTest, TheRecorderFoldsNoEventWhoseRecordNamesAnotherJobThanTheEntry) {
  auto store = open_store(serve_.db_url());
  ASSERT_TRUE(store->create_job(make_job(job_id_)));
  ASSERT_TRUE(store->create_job(make_job(other_job_)));
  const std::string foreign = to_json(make_record(other_job_, 5, JobStatus::completed, 100));
  ASSERT_TRUE(redis_
                  .command({"XADD", redis::keys::kEventsStream, "*", "job_id", job_id_, "seq", "5",
                            "status", "completed", "record", foreign})
                  .ok());
  // Entries are folded in order: once this one is, the one before was seen.
  ASSERT_TRUE(writer_.write(make_record(job_id_, 1, JobStatus::running, 10), true));
  ASSERT_TRUE(eventually([&] {
    auto job = store->get_job(job_id_);
    return job && job->last_seq == 1;
  }));
  EXPECT_EQ(store->get_job(other_job_)->status, JobStatus::queued);
  EXPECT_EQ(store->get_job(job_id_)->status, JobStatus::running);
  EXPECT_EQ(metric(http_get(serve_.port(), "/metrics").body,
                   "headway_recorder_events_total{outcome=\"malformed\"}"),
            1);
}

// A resuming client's Last-Event-ID past 2^53 - 1 names no record any server
// sent; honoured, it would hide every record of the job from that client.
TEST_F(ForeignRecordTest, ALastEventIdPastTheSeqBoundStartsTheStreamAfresh) {
  ASSERT_TRUE(writer_.write(make_record(job_id_, 3)));
  auto headers = serve_.auth();
  headers.emplace_back("Last-Event-ID", "9007199254740992");
  SseClient client(serve_.port(), stream_path(job_id_), headers);
  ASSERT_EQ(client.next()->event, "connected");
  auto snapshot = client.next();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->id, "3");
}

}  // namespace
}  // namespace headway::test
