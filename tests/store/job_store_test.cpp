// The job store against real databases: SQLite files and a private
// PostgreSQL cluster started by this test program. Every behaviour is checked
// on both engines by one typed suite.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/progress_record.hpp"
#include "store/job_store.hpp"
#include "store/migrate.hpp"
#include "store/sql_connection.hpp"
#include "store/store_url.hpp"
#include "store_backends.hpp"

namespace headway::store {
namespace {

using namespace testing_support;

template <typename Backend>
class JobStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_error() = Backend::set_up_suite(); }
  static void TearDownTestSuite() { Backend::tear_down_suite(); }
  static std::string& setup_error() {
    static std::string error;
    return error;
  }

  void SetUp() override {
    // A missing database engine fails every test rather than skipping it.
    ASSERT_EQ(setup_error(), "");
    url_ = Backend::fresh_url();
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<JobStore> open() {
    auto store = open_job_store(url_, StoreOptions{.clock = clock_});
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  Job make_job(int n, const std::string& owner = "alice", double created_at = 0) {
    Job job;
    job.id = uuid(n);
    job.owner = owner;
    job.type = "timetable";
    job.params = R"({"clusters":216})";
    job.created_at = created_at > 0 ? created_at : 1000.0 + n;
    return job;
  }

  Job create(int n, const std::string& owner = "alice", double created_at = 0) {
    auto created = store_->create_job(make_job(n, owner, created_at));
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? *created : Job{};
  }

  ProgressUpdate record(int n, std::int64_t seq, JobStatus status = JobStatus::running) {
    ProgressUpdate update;
    update.job_id = uuid(n);
    update.seq = seq;
    update.status = status;
    update.stage = "clustering";
    update.stage_progress = 40;
    update.overall_progress = 9;
    update.eta_seconds = 120;
    update.attempt = 1;
    update.started_at = 2000;
    update.last_updated = 2000.0 + static_cast<double>(seq);
    return update;
  }

  Job fetch(int n) {
    auto job = store_->get_job(uuid(n));
    EXPECT_TRUE(job.has_value()) << job.error().message;
    return job ? *job : Job{};
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::string url_;
  std::unique_ptr<JobStore> store_;
};

TYPED_TEST_SUITE(JobStoreTest, Backends, BackendNames);

TYPED_TEST(JobStoreTest, MigrationsApplyOnceAndReopeningChangesNothing) {
  const auto latest = static_cast<std::int64_t>(job_store_migrations().size());
  auto version = this->store_->schema_version();
  ASSERT_TRUE(version.has_value()) << version.error().message;
  EXPECT_EQ(*version, latest);
  this->create(1);

  this->store_.reset();
  auto reopened = this->open();
  ASSERT_NE(reopened, nullptr);
  auto second = this->open();
  ASSERT_NE(second, nullptr);

  EXPECT_EQ(count_rows(this->url_, "schema_migrations"), latest);
  EXPECT_EQ(*reopened->schema_version(), latest);
  EXPECT_TRUE(reopened->get_job(uuid(1)).has_value());
}

TYPED_TEST(JobStoreTest, AMigrationAddedLaterRunsOnceOnAnExistingDatabase) {
  std::vector<Migration> migrations(job_store_migrations().begin(), job_store_migrations().end());
  const auto next = static_cast<std::int64_t>(migrations.size()) + 1;
  migrations.push_back(
      {next, "add a later table", "CREATE TABLE later_table (name TEXT NOT NULL PRIMARY KEY)"});
  auto connection = raw_connection(this->url_);

  for (int run = 0; run < 2; ++run) {
    auto version = migrate(*connection, migrations, 5000);
    ASSERT_TRUE(version.has_value()) << version.error().message;
    EXPECT_EQ(*version, next);
  }
  EXPECT_EQ(count_rows(this->url_, "schema_migrations"), next);
  EXPECT_EQ(count_rows(this->url_, "later_table"), 0);
}

TYPED_TEST(JobStoreTest, AFailingMigrationLeavesThePreviousVersionIntact) {
  std::vector<Migration> migrations(job_store_migrations().begin(), job_store_migrations().end());
  const auto latest = static_cast<std::int64_t>(migrations.size());
  migrations.push_back({latest + 1, "broken", "CREATE TABLE half (x BIGINT); SELEKT nonsense"});
  auto connection = raw_connection(this->url_);

  auto version = migrate(*connection, migrations, 5000);
  ASSERT_FALSE(version.has_value());
  EXPECT_EQ(version.error().code, ErrorCode::schema);
  EXPECT_NE(version.error().message.find("broken"), std::string::npos);
  EXPECT_EQ(*this->store_->schema_version(), latest);
  EXPECT_FALSE(connection->query("SELECT COUNT(*) FROM half", {}).has_value());
}

TYPED_TEST(JobStoreTest, ADatabaseMigratedByANewerBuildIsRefused) {
  this->store_.reset();
  auto connection = raw_connection(this->url_);
  ASSERT_TRUE(connection
                  ->execute_script("INSERT INTO schema_migrations (version, name, applied_at) "
                                   "VALUES (999, 'from the future', 0)")
                  .has_value());

  auto store = open_job_store(this->url_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::schema);
  EXPECT_NE(store.error().message.find("999"), std::string::npos) << store.error().message;
}

TYPED_TEST(JobStoreTest, ACreatedJobReadsBackWithEveryField) {
  Job job = this->make_job(1);
  job.id = "ABCDEF01-2345-4678-9ABC-DEF012345678";
  job.params = R"({"clusters": 216, "name": "it's \"quoted\"", "nested": [1, 2.5]})";
  job.status = JobStatus::running;
  job.stage = "cpsat_solving";
  job.stage_progress = 12.34;
  job.overall_progress = 22.4;
  job.eta_seconds = 61.25;
  job.attempts = 2;
  job.created_at = 1700000000.123456;
  job.started_at = 1700000001.5;
  job.updated_at = 1700000002.25;
  job.last_seq = 7;
  auto created = this->store_->create_job(job);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->id, "abcdef01-2345-4678-9abc-def012345678");

  auto read = this->store_->get_job("abcdef01-2345-4678-9ABC-def012345678");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->id, "abcdef01-2345-4678-9abc-def012345678");
  EXPECT_EQ(read->owner, "alice");
  EXPECT_EQ(read->type, "timetable");
  EXPECT_EQ(read->params, job.params);
  EXPECT_EQ(read->status, JobStatus::running);
  EXPECT_EQ(read->stage, "cpsat_solving");
  EXPECT_DOUBLE_EQ(read->stage_progress, 12.34);
  EXPECT_DOUBLE_EQ(read->overall_progress, 22.4);
  EXPECT_EQ(read->eta_seconds, 61.25);
  EXPECT_EQ(read->error, "");
  EXPECT_EQ(read->attempts, 2);
  EXPECT_EQ(read->created_at, 1700000000.123456);
  EXPECT_EQ(read->started_at, 1700000001.5);
  EXPECT_EQ(read->finished_at, std::nullopt);
  EXPECT_EQ(read->updated_at, 1700000002.25);
  EXPECT_EQ(read->last_seq, 7);
}

TYPED_TEST(JobStoreTest, ANewJobTakesItsTimesFromTheStoreClock) {
  this->clock_->set(1234.5);
  Job job = this->make_job(1);
  job.created_at = 0;
  auto created = this->store_->create_job(job);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  const Job read = this->fetch(1);
  EXPECT_EQ(read.created_at, 1234.5);
  EXPECT_EQ(read.updated_at, 1234.5);
  EXPECT_EQ(read.status, JobStatus::queued);
  EXPECT_EQ(read.eta_seconds, std::nullopt);
}

TYPED_TEST(JobStoreTest, CreatingAJobWithATakenIdFailsWithAlreadyExists) {
  this->create(1);
  auto again = this->store_->create_job(this->make_job(1, "mallory"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::already_exists);
  EXPECT_EQ(this->fetch(1).owner, "alice");
}

TYPED_TEST(JobStoreTest, MalformedInputsAreClearErrorsNotCrashes) {
  for (const std::string& bad : std::vector<std::string>{
           "", "not-a-uuid", "'; DROP TABLE jobs; --", "00000000-0000-4000-8000-00000000000g",
           "00000000000040008000000000000001", std::string(10000, 'a')}) {
    auto job = this->store_->get_job(bad);
    ASSERT_FALSE(job.has_value()) << bad;
    EXPECT_EQ(job.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(job.error().message.find("UUID"), std::string::npos) << job.error().message;
  }
  auto missing = this->store_->get_job(uuid(404));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);

  auto expect_invalid = [](const auto& result, const char* what) {
    ASSERT_FALSE(result.has_value()) << what;
    EXPECT_EQ(result.error().code, ErrorCode::invalid_argument) << what;
  };
  Job job = this->make_job(1);
  job.params = "{not json";
  expect_invalid(this->store_->create_job(job), "params");
  job = this->make_job(1, "");
  expect_invalid(this->store_->create_job(job), "owner");
  job = this->make_job(1);
  job.overall_progress = NAN;
  expect_invalid(this->store_->create_job(job), "progress");
  job = this->make_job(1);
  job.id = "nope";
  expect_invalid(this->store_->create_job(job), "id");

  this->create(1);
  ProgressUpdate update = this->record(1, 1);
  update.seq = 0;
  expect_invalid(this->store_->apply_record(update), "seq");
  // Past 2^53 - 1 a seq is no integer every reader holds exactly; such a
  // last_seq would make every later record of the job look stale.
  update.seq = kMaxSeq + 1;
  expect_invalid(this->store_->apply_record(update), "seq past 2^53-1");
  expect_invalid(this->store_->set_status({.job_id = uuid(1), .seq = kMaxSeq + 1}),
                 "set_status seq past 2^53-1");
  job = this->make_job(2);
  job.last_seq = kMaxSeq + 1;
  expect_invalid(this->store_->create_job(job), "last_seq past 2^53-1");
  update = this->record(1, 1);
  update.overall_progress = 101;
  expect_invalid(this->store_->apply_record(update), "overall_progress");
  update = this->record(1, 1);
  update.job_id = "x";
  expect_invalid(this->store_->apply_record(update), "record id");
  expect_invalid(this->store_->set_status({.job_id = "x"}), "set_status id");
  expect_invalid(this->store_->list_jobs({.limit = 0}), "limit");
  expect_invalid(this->store_->list_jobs({.limit = kMaxListLimit + 1}), "limit");
  expect_invalid(this->store_->list_jobs({.offset = -1}), "offset");

  EXPECT_EQ(count_rows(this->url_, "jobs"), 1);
  EXPECT_TRUE(this->store_->ping().has_value());
}

TYPED_TEST(JobStoreTest, ListingIsNewestFirstAndFiltersByOwnerAndStatus) {
  this->create(1, "alice", 100);
  this->create(2, "bob", 200);
  this->create(3, "alice", 300);
  this->create(4, "alice", 400);
  ASSERT_TRUE(
      this->store_->set_status({.job_id = uuid(3), .status = JobStatus::cancelled}).value());

  auto ids = [](const JobPage& page) {
    std::vector<std::string> out;
    for (const Job& job : page.jobs) {
      out.push_back(job.id);
    }
    return out;
  };
  auto all = this->store_->list_jobs({});
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(ids(*all), (std::vector{uuid(4), uuid(3), uuid(2), uuid(1)}));
  EXPECT_EQ(all->total, 4);

  auto alices = this->store_->list_jobs({.owner = "alice"});
  ASSERT_TRUE(alices.has_value());
  EXPECT_EQ(ids(*alices), (std::vector{uuid(4), uuid(3), uuid(1)}));
  EXPECT_EQ(alices->total, 3);

  auto queued = this->store_->list_jobs({.owner = "alice", .status = JobStatus::queued});
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(ids(*queued), (std::vector{uuid(4), uuid(1)}));
  EXPECT_EQ(queued->total, 2);

  auto cancelled = this->store_->list_jobs({.status = JobStatus::cancelled});
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ(ids(*cancelled), (std::vector{uuid(3)}));

  auto nobody = this->store_->list_jobs({.owner = "carol"});
  ASSERT_TRUE(nobody.has_value());
  EXPECT_TRUE(nobody->jobs.empty());
  EXPECT_EQ(nobody->total, 0);
}

TYPED_TEST(JobStoreTest, PagesCoverEveryJobOnceAndReportTheTotal) {
  // Equal creation times are ordered by id, so pages never overlap.
  for (int n = 1; n <= 7; ++n) {
    this->create(n, "alice", 500);
  }
  this->create(8, "bob", 500);
  std::vector<std::string> seen;
  for (std::int64_t offset = 0; offset < 9; offset += 3) {
    auto page = this->store_->list_jobs({.owner = "alice", .limit = 3, .offset = offset});
    ASSERT_TRUE(page.has_value()) << page.error().message;
    EXPECT_EQ(page->total, 7);
    EXPECT_EQ(page->jobs.size(), offset < 6 ? 3u : 1u);
    for (const Job& job : page->jobs) {
      seen.push_back(job.id);
    }
  }
  std::vector<std::string> expected;
  for (int n = 7; n >= 1; --n) {
    expected.push_back(uuid(n));
  }
  EXPECT_EQ(seen, expected);

  auto past_the_end = this->store_->list_jobs({.owner = "alice", .limit = 3, .offset = 30});
  ASSERT_TRUE(past_the_end.has_value());
  EXPECT_TRUE(past_the_end->jobs.empty());
  EXPECT_EQ(past_the_end->total, 7);
}

TYPED_TEST(JobStoreTest, UnfinishedJobsAreListedInIdOrderPageByPage) {
  for (int n = 1; n <= 7; ++n) {
    this->create(n);
  }
  ASSERT_TRUE(this->store_->apply_record(this->record(2, 2, JobStatus::running)).value() ==
              ApplyOutcome::applied);
  ASSERT_TRUE(this->store_->apply_record(this->record(3, 2, JobStatus::initializing)).value() ==
              ApplyOutcome::applied);
  for (int n : {4, 5, 6}) {
    const JobStatus status = n == 4   ? JobStatus::completed
                             : n == 5 ? JobStatus::failed
                                      : JobStatus::cancelled;
    ASSERT_TRUE(this->store_->set_status({.job_id = uuid(n), .status = status}).value());
  }
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto jobs = this->store_->list_unfinished_jobs(after, 2);
    ASSERT_TRUE(jobs.has_value()) << jobs.error().message;
    if (jobs->empty()) {
      break;
    }
    EXPECT_LE(jobs->size(), 2u);
    for (const Job& job : *jobs) {
      EXPECT_FALSE(is_terminal(job.status)) << job.id;
      seen.push_back(job.id);
    }
    after = jobs->back().id;
  }
  EXPECT_EQ(seen, (std::vector{uuid(1), uuid(2), uuid(3), uuid(7)}));
  for (std::int64_t limit : {std::int64_t{0}, kMaxListLimit + 1}) {
    auto refused = this->store_->list_unfinished_jobs("", limit);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  }
}

TYPED_TEST(JobStoreTest, ARecordAppliesOnlyWhenItsSeqIsNewer) {
  this->create(1);
  ProgressUpdate second = this->record(1, 2);
  second.overall_progress = 20;
  auto outcome = this->store_->apply_record(second);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(*outcome, ApplyOutcome::applied);

  // The same record delivered again, and an older one arriving late.
  EXPECT_EQ(this->store_->apply_record(second).value(), ApplyOutcome::stale);
  ProgressUpdate first = this->record(1, 1);
  first.overall_progress = 5;
  first.stage = "loading";
  EXPECT_EQ(this->store_->apply_record(first).value(), ApplyOutcome::stale);

  Job job = this->fetch(1);
  EXPECT_EQ(job.last_seq, 2);
  EXPECT_EQ(job.overall_progress, 20);
  EXPECT_EQ(job.stage, "clustering");
  EXPECT_EQ(job.status, JobStatus::running);
  EXPECT_EQ(job.started_at, 2000);
  EXPECT_EQ(job.updated_at, 2002);
  EXPECT_EQ(job.eta_seconds, 120);
  EXPECT_EQ(job.attempts, 1);

  ProgressUpdate later = this->record(1, 9);
  later.stage = "cpsat_solving";
  later.overall_progress = 50;
  later.eta_seconds = std::nullopt;
  EXPECT_EQ(this->store_->apply_record(later).value(), ApplyOutcome::applied);
  job = this->fetch(1);
  EXPECT_EQ(job.last_seq, 9);
  EXPECT_EQ(job.stage, "cpsat_solving");
  EXPECT_EQ(job.overall_progress, 50);
  EXPECT_EQ(job.eta_seconds, std::nullopt);
  EXPECT_EQ(job.finished_at, std::nullopt);
}

TYPED_TEST(JobStoreTest, StageBoundariesBecomeStageTimingsPerAttemptAndRedeliveryChangesNothing) {
  this->create(1);
  auto apply = [&](std::int64_t seq, std::int64_t attempt, const char* stage, double progress,
                   JobStatus status = JobStatus::running) {
    ProgressUpdate update = this->record(1, seq, status);
    update.attempt = attempt;
    update.stage = stage;
    update.stage_progress = progress;
    update.last_updated = 3000.0 + static_cast<double>(seq) * 10;
    auto outcome = this->store_->apply_record(update);
    EXPECT_TRUE(outcome.has_value()) << outcome.error().message;
    return outcome ? *outcome : ApplyOutcome::stale;
  };
  EXPECT_EQ(this->store_->stage_timings(uuid(1)).value().size(), 0u);
  EXPECT_EQ(apply(1, 1, "", 0, JobStatus::initializing), ApplyOutcome::applied);
  apply(2, 1, "loading", 0);
  apply(3, 1, "loading", 100);  // completed: ends at 3030
  EXPECT_EQ(apply(3, 1, "loading", 100), ApplyOutcome::stale);
  apply(4, 1, "clustering", 0);     // starts at 3040
  apply(5, 1, "cpsat_solving", 0);  // the next start ends clustering without a completion
  apply(6, 1, "cpsat_solving", 30, JobStatus::failed);  // a terminal record ends the stage
  // The second attempt starts over; its stages are its own.
  apply(7, 2, "loading", 0);
  apply(8, 2, "loading", 100);
  apply(9, 2, "clustering", 10);

  auto timings = this->store_->stage_timings(uuid(1));
  ASSERT_TRUE(timings.has_value()) << timings.error().message;
  struct Row {
    std::int64_t attempt;
    std::string stage;
    double started_at;
    std::optional<double> finished_at;
    bool operator==(const Row&) const = default;
  };
  std::vector<Row> rows;
  for (const auto& t : *timings)
    rows.push_back({t.attempt, t.stage, t.started_at, t.finished_at});
  EXPECT_EQ(rows, (std::vector<Row>{{1, "loading", 3020, 3030},
                                    {1, "clustering", 3040, 3050},
                                    {1, "cpsat_solving", 3050, 3060},
                                    {2, "loading", 3070, 3080},
                                    {2, "clustering", 3090, std::nullopt}}));
  // A run's final record folded first (by the worker), its boundaries late (by
  // the recorder): the timings come out the same.
  this->create(2);
  auto late = [&](std::int64_t seq, const char* stage, double progress, JobStatus status) {
    ProgressUpdate update = this->record(2, seq, status);
    update.stage = stage;
    update.stage_progress = progress;
    update.last_updated = 5000.0 + static_cast<double>(seq);
    return this->store_->apply_record(update).value();
  };
  EXPECT_EQ(late(5, "clustering", 100, JobStatus::completed), ApplyOutcome::applied);
  EXPECT_EQ(late(1, "loading", 0, JobStatus::running), ApplyOutcome::stale);
  late(2, "loading", 100, JobStatus::running);
  late(3, "clustering", 0, JobStatus::running);
  late(4, "clustering", 100, JobStatus::running);
  late(5, "clustering", 100, JobStatus::completed);
  rows.clear();
  for (const auto& t : this->store_->stage_timings(uuid(2)).value())
    rows.push_back({t.attempt, t.stage, t.started_at, t.finished_at});
  EXPECT_EQ(rows, (std::vector<Row>{{1, "loading", 5001, 5002}, {1, "clustering", 5003, 5004}}));

  EXPECT_EQ(this->store_->stage_timings(uuid(77)).error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store_->stage_timings("not-a-uuid").error().code, ErrorCode::invalid_argument);
}

TYPED_TEST(JobStoreTest, RecentCompletedRunsOfATypeComeNewestFirstWithTheirLastAttemptsStages) {
  // Runs one attempt of job n through `stages` (10 s each from `start`),
  // ending in `status`.
  auto run = [&](int n, std::int64_t attempt, std::int64_t first_seq, double start,
                 std::vector<std::string> stages, JobStatus status) {
    std::int64_t seq = first_seq;
    double at = start;
    auto apply = [&](const std::string& stage, double progress, JobStatus record_status) {
      ProgressUpdate update = this->record(n, seq++, record_status);
      update.attempt = attempt;
      update.stage = stage;
      update.stage_progress = progress;
      update.started_at = start;
      update.last_updated = at;
      ASSERT_TRUE(this->store_->apply_record(update).has_value());
    };
    for (const auto& stage : stages) {
      apply(stage, 0, JobStatus::running);
      at += 10;
      apply(stage, 100, JobStatus::running);
    }
    apply(stages.back(), 100, status);
  };
  this->create(1);
  run(1, 1, 1, 1000, {"loading", "solving"}, JobStatus::completed);
  this->create(2);  // failed once, then completed: only the second attempt's stages count
  run(2, 1, 1, 2000, {"loading"}, JobStatus::failed);
  run(2, 2, 10, 3000, {"loading", "solving"}, JobStatus::completed);
  this->create(3);  // failed: not a completed run
  run(3, 1, 1, 4000, {"loading", "solving"}, JobStatus::failed);
  Job other = this->make_job(4);  // completed, but of another type
  other.type = "command";
  ASSERT_TRUE(this->store_->create_job(other).has_value());
  run(4, 1, 1, 5000, {"loading"}, JobStatus::completed);
  this->create(5);  // completed by a record that named no stage: no timings
  ProgressUpdate bare = this->record(5, 1, JobStatus::completed);
  bare.stage = "";
  bare.last_updated = 6000;
  ASSERT_TRUE(this->store_->apply_record(bare).has_value());
  this->create(6);  // still running
  run(6, 1, 1, 7000, {"loading"}, JobStatus::running);

  auto runs = this->store_->recent_completed_runs("timetable", 10);
  ASSERT_TRUE(runs.has_value()) << runs.error().message;
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].id, uuid(5));
  EXPECT_EQ((*runs)[0].finished_at, 6000);
  EXPECT_TRUE((*runs)[0].stages.empty());
  EXPECT_EQ((*runs)[1].id, uuid(2));
  EXPECT_EQ((*runs)[1].params, R"({"clusters":216})");
  ASSERT_EQ((*runs)[1].stages.size(), 2u);
  EXPECT_EQ((*runs)[1].stages[0].attempt, 2);
  EXPECT_EQ((*runs)[1].stages[0].stage, "loading");
  EXPECT_EQ((*runs)[1].stages[0].started_at, 3000);
  EXPECT_EQ((*runs)[1].stages[0].finished_at, 3010);
  EXPECT_EQ((*runs)[1].stages[1].stage, "solving");
  EXPECT_EQ((*runs)[1].stages[1].started_at, 3010);
  EXPECT_EQ((*runs)[1].stages[1].finished_at, 3020);
  EXPECT_EQ((*runs)[2].id, uuid(1));
  EXPECT_EQ((*runs)[2].stages.size(), 2u);

  auto newest = this->store_->recent_completed_runs("timetable", 2);
  ASSERT_TRUE(newest.has_value()) << newest.error().message;
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[1].id, uuid(2));
  EXPECT_EQ((*newest)[1].stages.size(), 2u);  // the limit counts runs, not stages
  EXPECT_EQ(this->store_->recent_completed_runs("command", 10).value().size(), 1u);
  EXPECT_TRUE(this->store_->recent_completed_runs("nothing-yet", 10).value().empty());
  EXPECT_EQ(this->store_->recent_completed_runs("", 10).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(this->store_->recent_completed_runs("timetable", 0).error().code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(this->store_->recent_completed_runs("timetable", kMaxListLimit + 1).error().code,
            ErrorCode::invalid_argument);
}

TYPED_TEST(JobStoreTest, ARecordForAnUnknownJobIsReportedNotStored) {
  auto outcome = this->store_->apply_record(this->record(42, 1));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(*outcome, ApplyOutcome::unknown_job);
  EXPECT_EQ(count_rows(this->url_, "jobs"), 0);
}

TYPED_TEST(JobStoreTest, ATerminalRecordSetsFinishedAtAndARetryClearsIt) {
  this->create(1);
  ProgressUpdate failed = this->record(1, 3, JobStatus::failed);
  failed.error = "solver crashed";
  ASSERT_EQ(this->store_->apply_record(failed).value(), ApplyOutcome::applied);
  Job job = this->fetch(1);
  EXPECT_EQ(job.status, JobStatus::failed);
  EXPECT_EQ(job.finished_at, 2003);
  EXPECT_EQ(job.error, "solver crashed");

  // A worker re-runs the job as attempt 2: no longer finished, no error.
  ProgressUpdate retry = this->record(1, 4);
  retry.attempt = 2;
  ASSERT_EQ(this->store_->apply_record(retry).value(), ApplyOutcome::applied);
  job = this->fetch(1);
  EXPECT_EQ(job.finished_at, std::nullopt);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.error, "");

  // attempts never goes back, whatever a record says.
  ProgressUpdate completed = this->record(1, 5, JobStatus::completed);
  completed.attempt = 1;
  completed.overall_progress = 100;
  completed.eta_seconds = 0;
  ASSERT_EQ(this->store_->apply_record(completed).value(), ApplyOutcome::applied);
  job = this->fetch(1);
  EXPECT_EQ(job.status, JobStatus::completed);
  EXPECT_EQ(job.finished_at, 2005);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.eta_seconds, 0);
}

TYPED_TEST(JobStoreTest, AQueuedRecordDoesNotMarkTheJobStarted) {
  this->create(1);
  ProgressUpdate queued = this->record(1, 1, JobStatus::queued);
  queued.started_at = 1500;
  ASSERT_EQ(this->store_->apply_record(queued).value(), ApplyOutcome::applied);
  EXPECT_EQ(this->fetch(1).started_at, std::nullopt);
}

TYPED_TEST(JobStoreTest, SetStatusChangesOnlyARowInAnAllowedStatus) {
  this->create(1);
  this->create(2);
  ASSERT_EQ(this->store_->apply_record(this->record(2, 1)).value(), ApplyOutcome::applied);
  this->clock_->set(3000);

  const StatusChange cancel_if_queued{
      .job_id = uuid(1), .status = JobStatus::cancelled, .only_if_status_in = {JobStatus::queued}};
  auto changed = this->store_->set_status(cancel_if_queued);
  ASSERT_TRUE(changed.has_value()) << changed.error().message;
  EXPECT_TRUE(*changed);
  Job job = this->fetch(1);
  EXPECT_EQ(job.status, JobStatus::cancelled);
  EXPECT_EQ(job.finished_at, 3000);
  EXPECT_EQ(job.updated_at, 3000);
  EXPECT_EQ(job.eta_seconds, 0);
  EXPECT_FALSE(this->store_->set_status(cancel_if_queued).value());

  // Job 2 is running: not cancellable this way, but the worker can fail it.
  EXPECT_FALSE(this->store_
                   ->set_status({.job_id = uuid(2),
                                 .status = JobStatus::cancelled,
                                 .only_if_status_in = {JobStatus::queued}})
                   .value());
  EXPECT_EQ(this->fetch(2).status, JobStatus::running);
  EXPECT_TRUE(this->store_
                  ->set_status({.job_id = uuid(2),
                                .status = JobStatus::failed,
                                .error = "worker lost",
                                .only_if_status_in = {JobStatus::initializing, JobStatus::running}})
                  .value());
  job = this->fetch(2);
  EXPECT_EQ(job.status, JobStatus::failed);
  EXPECT_EQ(job.error, "worker lost");

  EXPECT_FALSE(this->store_->set_status({.job_id = uuid(99), .status = JobStatus::failed}).value());
}

TYPED_TEST(JobStoreTest, SetStatusWithASeqMakesOlderRecordsStale) {
  this->create(1);
  ASSERT_TRUE(
      this->store_->set_status({.job_id = uuid(1), .status = JobStatus::cancelled, .seq = 2})
          .value());
  EXPECT_EQ(this->store_->apply_record(this->record(1, 2)).value(), ApplyOutcome::stale);
  EXPECT_EQ(this->fetch(1).status, JobStatus::cancelled);
  EXPECT_EQ(this->fetch(1).last_seq, 2);
}

TYPED_TEST(JobStoreTest, CallsFromSeveralThreadsAreSerializedSafely) {
  constexpr int kThreads = 4;
  constexpr int kJobsEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kJobsEach; ++i) {
        const int n = t * 1000 + i;
        if (!this->store_->create_job(this->make_job(n)).has_value() ||
            !this->store_->apply_record(this->record(n, 1)).has_value() ||
            !this->store_->get_job(uuid(n)).has_value() ||
            !this->store_->list_jobs({}).has_value()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(this->store_->list_jobs({}).value().total, kThreads * kJobsEach);
}

TYPED_TEST(JobStoreTest, PingAnswersOnAHealthyDatabase) {
  EXPECT_TRUE(this->store_->ping().has_value());
}

// Engine-specific behaviour.

using SqliteStoreTest = JobStoreTest<SqliteBackend>;

TEST_F(SqliteStoreTest, TheDatabaseFileRunsInWalMode) {
  auto rows = raw_connection(url_)->query("PRAGMA journal_mode", {});
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(std::get<std::string>(rows->at(0).at(0)), "wal");
}

TEST_F(SqliteStoreTest, AnInMemoryStoreWorksForTests) {
  auto store = open_job_store(":memory:");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE((*store)->create_job(make_job(1)).has_value());
  EXPECT_TRUE((*store)->get_job(uuid(1)).has_value());
}

TEST_F(SqliteStoreTest, AnUnopenablePathIsAnErrorNotACrash) {
  auto store = open_job_store("sqlite:///nonexistent-headway-dir/sub/jobs.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::unavailable);
}

// SQLite would go on writing into the unlinked file, and lose it all when the
// process ends; every call says so instead.
TEST_F(SqliteStoreTest, ADeletedOrReplacedDatabaseFileFailsEveryCallWithAClearError) {
  create(1);
  const std::string path = url_.substr(std::string("sqlite://").size());
  auto expect_gone = [](const auto& result, const char* what) {
    ASSERT_FALSE(result.has_value()) << what;
    EXPECT_EQ(result.error().code, ErrorCode::unavailable) << what;
    EXPECT_NE(result.error().message.find("deleted or replaced"), std::string::npos)
        << what << ": " << result.error().message;
  };
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path + suffix);
  expect_gone(store_->ping(), "ping");
  expect_gone(store_->create_job(make_job(2)), "create_job");
  expect_gone(store_->apply_record(record(1, 1)), "apply_record");
  expect_gone(store_->get_job(uuid(1)), "get_job");

  // Another database moved into its place is not the open one either.
  auto other = open_job_store(url_);
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_TRUE((*other)->ping().has_value());
  expect_gone(store_->ping(), "ping after the path names a new file");
}

using PostgresStoreTest = JobStoreTest<PostgresBackend>;

TEST_F(PostgresStoreTest, AStoppedServerGivesErrorsAndTheStoreRecoversAfterRestart) {
  create(1);
  PostgresBackend::server->stop();

  auto expect_unavailable = [](const auto& result, const char* what) {
    ASSERT_FALSE(result.has_value()) << what;
    EXPECT_EQ(result.error().code, ErrorCode::unavailable)
        << what << ": " << result.error().message;
  };
  // Twice: once on the broken connection, once failing to reconnect.
  for (int round = 0; round < 2; ++round) {
    expect_unavailable(store_->ping(), "ping");
    expect_unavailable(store_->get_job(uuid(1)), "get_job");
    expect_unavailable(store_->list_jobs({}), "list_jobs");
    expect_unavailable(store_->create_job(make_job(2)), "create_job");
    expect_unavailable(store_->apply_record(record(1, 1)), "apply_record");
    expect_unavailable(store_->set_status({.job_id = uuid(1), .status = JobStatus::failed}),
                       "set_status");
  }

  PostgresBackend::server->start();
  ASSERT_TRUE(store_->ping().has_value());
  EXPECT_EQ(store_->apply_record(record(1, 1)).value(), ApplyOutcome::applied);
  EXPECT_EQ(fetch(1).last_seq, 1);
  EXPECT_TRUE(store_->create_job(make_job(2)).has_value());
}

TEST_F(PostgresStoreTest, OpeningAnUnreachableServerFailsWithUnavailable) {
  auto store = open_job_store("postgres://headway:secret@127.0.0.1:1/nothing",
                              {.postgres_connect_timeout_s = 2});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::unavailable);
  EXPECT_EQ(store.error().message.find("secret"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace headway::store
