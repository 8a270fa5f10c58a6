// The Tracker's state machine and flusher against the public in-memory sink
// and a manual clock. The Redis side is covered by tests/integration.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "headway/manual_clock.hpp"
#include "headway/memory_sink.hpp"
#include "headway/tracker.hpp"

namespace headway {
namespace {

using namespace std::chrono_literals;
constexpr const char* kJobId = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";

// Designated initializers would trip -Wmissing-field-initializers; these read as well.
ProgressUpdate overall_update(double overall) {
  ProgressUpdate update;
  update.overall_progress = overall;
  return update;
}

TrackerOptions with_terminal_timeout(std::chrono::milliseconds timeout) {
  TrackerOptions options;
  options.terminal_timeout = timeout;
  return options;
}

struct TrackerHarness {
  explicit TrackerHarness(TrackerOptions options = {}) {
    options.clock = clock;
    tracker = std::make_unique<Tracker>(sink, kJobId, StagePlan::reference(), std::move(options));
  }
  boost::json::object last_record() {
    auto writes = sink.records();
    EXPECT_FALSE(writes.empty());
    return writes.empty() ? boost::json::object{}
                          : boost::json::parse(writes.back().json).as_object();
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  MemorySink sink;
  std::unique_ptr<Tracker> tracker;
};

TEST(TrackerLogicTest, TheFirstRecordIsInitializingWithTheStagePlan) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->flush(10s));
  auto record = h.last_record();
  EXPECT_EQ(record.at("status").as_string(), "initializing");
  EXPECT_EQ(record.at("seq").as_int64(), 1);
  EXPECT_EQ(record.at("attempt").as_int64(), 1);
  EXPECT_EQ(record.at("stages").as_array().size(), 5u);
  EXPECT_TRUE(record.at("eta_seconds").is_null());
  EXPECT_TRUE(h.sink.records().front().boundary);
}

TEST(TrackerLogicTest, MapsStageProgressIntoTheStageRangeOfThePlan) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  ASSERT_TRUE(h.tracker->complete_stage());
  ASSERT_TRUE(h.tracker->start_stage("clustering"));
  ASSERT_TRUE(h.tracker->complete_stage());
  ASSERT_TRUE(h.tracker->start_stage("cpsat_solving"));
  ASSERT_TRUE(h.tracker->update_stage_progress(74, 216));
  ASSERT_TRUE(h.tracker->flush(10s));
  auto record = h.last_record();
  EXPECT_EQ(record.at("stage").as_string(), "cpsat_solving");
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 35.56);
  EXPECT_DOUBLE_EQ(record.at("stage_progress").to_number<double>(), 34.26);
  EXPECT_EQ(record.at("status").as_string(), "running");
  EXPECT_EQ(record.at("metadata").at("completed_items").as_int64(), 74);
  EXPECT_EQ(record.at("metadata").at("total_items").as_int64(), 216);
}

TEST(TrackerLogicTest, OverallProgressNeverDecreases) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("cpsat_solving"));
  ASSERT_TRUE(h.tracker->update(overall_update(60.0)));
  ASSERT_TRUE(h.tracker->update_stage_progress(10, 216));
  ASSERT_TRUE(h.tracker->update(overall_update(20.0)));
  ASSERT_TRUE(h.tracker->flush(10s));
  EXPECT_DOUBLE_EQ(h.last_record().at("overall_progress").to_number<double>(), 60.0);
}

TEST(TrackerLogicTest, ClampsOutOfRangeValues) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  ProgressUpdate too_much = overall_update(1e9);
  too_much.stage_progress = 250.0;
  ASSERT_TRUE(h.tracker->update(too_much));
  ASSERT_TRUE(h.tracker->flush(10s));
  auto record = h.last_record();
  EXPECT_DOUBLE_EQ(record.at("stage_progress").to_number<double>(), 100);
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 100);
  ASSERT_TRUE(h.tracker->update_stage_progress(500, 216));
  ASSERT_TRUE(h.tracker->flush(10s));
  EXPECT_DOUBLE_EQ(h.last_record().at("stage_progress").to_number<double>(), 100);
}

TEST(TrackerLogicTest, ReportsAnUnknownStageAndLeavesTheRecordAlone) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("clustering"));
  auto result = h.tracker->start_stage("warp_drive");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("unknown stage 'warp_drive'"), std::string::npos);
  EXPECT_NE(result.error().find("cpsat_solving"), std::string::npos);  // lists the plan
  ASSERT_TRUE(h.tracker->flush(10s));
  EXPECT_EQ(h.last_record().at("stage").as_string(), "clustering");
}

std::size_t event_count(const MemorySink& sink) {
  const auto writes = sink.records();
  return static_cast<std::size_t>(std::count_if(writes.begin(), writes.end(),
                                                [](const auto& write) { return write.boundary; }));
}

TEST(TrackerLogicTest, ReportsGoingBackAStageAndLeavesTheRecordAlone) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("cpsat_solving"));
  ASSERT_TRUE(h.tracker->update_stage_progress(74, 216));
  ASSERT_TRUE(h.tracker->flush(10s));
  const auto before = h.last_record();
  const auto events_before = event_count(h.sink);
  auto result = h.tracker->start_stage("loading");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("cannot go back"), std::string::npos);
  EXPECT_TRUE(h.tracker->start_stage("cpsat_solving"));  // the current stage again is a no-op
  ASSERT_TRUE(h.tracker->flush(10s));
  auto after = h.last_record();
  EXPECT_EQ(after.at("seq"), before.at("seq"));  // nothing was written since
  EXPECT_EQ(after.at("stage").as_string(), "cpsat_solving");
  EXPECT_DOUBLE_EQ(after.at("stage_progress").to_number<double>(), 34.26);
  EXPECT_DOUBLE_EQ(after.at("overall_progress").to_number<double>(), 35.56);
  EXPECT_EQ(after.at("metadata").at("completed_items").as_int64(), 74);
  EXPECT_EQ(event_count(h.sink), events_before);
}

TEST(TrackerLogicTest, ARepeatedCompleteStageIsReportedAndWritesNothing) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("clustering"));
  ASSERT_TRUE(h.tracker->complete_stage());
  ASSERT_TRUE(h.tracker->flush(10s));
  const auto writes_before = h.sink.records().size();
  const auto updates_before = h.tracker->stats().updates;
  auto result = h.tracker->complete_stage();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("stage 'clustering' is already complete"), std::string::npos)
      << result.error();
  ASSERT_TRUE(h.tracker->flush(10s));
  EXPECT_EQ(h.sink.records().size(), writes_before);
  EXPECT_EQ(h.tracker->stats().updates, updates_before);
  // The next stage can be completed as usual.
  ASSERT_TRUE(h.tracker->start_stage("cpsat_solving"));
  ASSERT_TRUE(h.tracker->complete_stage());
  ASSERT_TRUE(h.tracker->flush(10s));
  EXPECT_EQ(h.sink.records().size(), writes_before + 2);
  EXPECT_DOUBLE_EQ(h.last_record().at("overall_progress").to_number<double>(), 75);
}

TEST(TrackerLogicTest, UpdatesWithoutAStageOrWithABadTotalAreReported) {
  TrackerHarness h;
  EXPECT_FALSE(h.tracker->update_stage_progress(1, 10));
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  EXPECT_FALSE(h.tracker->update_stage_progress(1, 0));
  EXPECT_FALSE(h.tracker->update_stage_progress(1, -5));
}

TEST(TrackerLogicTest, NothingChangesAfterATerminalState) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  ASSERT_TRUE(h.tracker->mark_completed());
  const auto writes_before = h.sink.records().size();
  auto result = h.tracker->update_stage_progress(1, 2);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("already completed"), std::string::npos);
  EXPECT_FALSE(h.tracker->start_stage("clustering"));
  EXPECT_FALSE(h.tracker->mark_failed("late"));
  EXPECT_FALSE(h.tracker->mark_cancelled());
  ASSERT_TRUE(h.tracker->flush(10s));
  EXPECT_EQ(h.sink.records().size(), writes_before);
  auto record = h.last_record();
  EXPECT_EQ(record.at("status").as_string(), "completed");
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 100);
  EXPECT_DOUBLE_EQ(record.at("eta_seconds").to_number<double>(), 0);
}

TEST(TrackerLogicTest, RecordsCarryTheEstimatorsRangeAndNullWithoutOne) {
  for (const char* estimator : {"hedge", "reference"}) {
    TrackerOptions options;
    options.eta_estimator = estimator;
    TrackerHarness h(options);
    ASSERT_TRUE(h.tracker->start_stage("cpsat_solving"));
    for (int step = 1; step <= 60; ++step) {
      h.clock->advance(1.0);
      ASSERT_TRUE(h.tracker->update_stage_progress(step, 216));
    }
    ASSERT_TRUE(h.tracker->flush(10s));
    auto record = h.last_record();
    ASSERT_TRUE(record.at("eta_seconds").is_number()) << estimator;
    if (std::string_view(estimator) == "reference") {
      EXPECT_TRUE(record.at("eta_low_seconds").is_null());
      EXPECT_TRUE(record.at("eta_high_seconds").is_null());
      continue;
    }
    const double low = record.at("eta_low_seconds").to_number<double>();
    const double high = record.at("eta_high_seconds").to_number<double>();
    EXPECT_GT(low, 0);
    EXPECT_LT(low, high);
  }
  TrackerHarness done;
  ASSERT_TRUE(done.tracker->mark_completed());
  auto record = done.last_record();
  EXPECT_DOUBLE_EQ(record.at("eta_low_seconds").to_number<double>(), 0);
  EXPECT_DOUBLE_EQ(record.at("eta_high_seconds").to_number<double>(), 0);
}

TEST(TrackerLogicTest, AnEtaHistoryInTheOptionsIsThePriorOfTheRunsEstimate) {
  // Every run of this job spends 40 s loading (5 % of the plan) and 60 s on
  // the other 95 %: a live estimate made while loading cannot know that the
  // later stages go twenty times faster; earlier runs do.
  const std::vector<StageDuration> run = {{"loading", 40},
                                          {"clustering", 10},
                                          {"cpsat_solving", 30},
                                          {"ga_optimization", 10},
                                          {"rl_refinement", 10}};
  auto eta_after_half_of_loading = [](std::optional<EtaHistory> history) {
    TrackerOptions options;
    options.eta_history = std::move(history);
    TrackerHarness h(options);
    EXPECT_TRUE(h.tracker->start_stage("loading"));
    for (int step = 1; step <= 10; ++step) {
      h.clock->advance(2.0);
      EXPECT_TRUE(h.tracker->update_stage_progress(step, 20));
    }
    EXPECT_TRUE(h.tracker->flush(10s));
    return h.last_record().at("eta_seconds").to_number<double>();
  };
  const double truth = 80;  // 20 s of 100 have passed
  const double without = eta_after_half_of_loading(std::nullopt);
  const double with = eta_after_half_of_loading(
      EtaHistory::from_stage_durations(StagePlan::reference(), {run, run, run}));
  EXPECT_LT(std::abs(with - truth), 0.5 * std::abs(without - truth))
      << "without " << without << ", with " << with;
  // No runs is no prior: the same estimate as without one.
  EXPECT_DOUBLE_EQ(eta_after_half_of_loading(EtaHistory{}), without);
}

TEST(TrackerLogicTest, FailedRecordCarriesTheErrorInMetadata) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->start_stage("clustering"));
  ASSERT_TRUE(h.tracker->mark_failed("solver ran out of memory"));
  auto record = h.last_record();
  EXPECT_EQ(record.at("status").as_string(), "failed");
  EXPECT_EQ(record.at("metadata").at("error").as_string(), "solver ran out of memory");
  EXPECT_TRUE(record.at("eta_seconds").is_null());
}

TEST(TrackerLogicTest, CoalescedUpdatesNeverLoseABoundaryOrTheTerminalRecord) {
  TrackerHarness h;
  const auto plan = StagePlan::reference();
  for (const auto& stage : plan.stages()) {
    ASSERT_TRUE(h.tracker->start_stage(stage.name));
    for (int i = 1; i <= 1000; ++i)
      ASSERT_TRUE(h.tracker->update_stage_progress(i, 1000));
    ASSERT_TRUE(h.tracker->complete_stage());
  }
  ASSERT_TRUE(h.tracker->mark_completed());
  std::vector<std::string> events;
  std::int64_t last_seq = 0;
  for (const auto& write : h.sink.records()) {
    EXPECT_GT(write.seq, last_seq);
    last_seq = write.seq;
    if (!write.boundary)
      continue;
    auto record = boost::json::parse(write.json).as_object();
    events.push_back(std::string(record.at("status").as_string()) + ":" +
                     std::string(record.at("stage").as_string()) + ":" +
                     std::to_string(record.at("stage_progress").to_number<double>()));
  }
  std::vector<std::string> expected = {"initializing::0.000000"};
  for (const auto& stage : plan.stages()) {
    expected.push_back("running:" + stage.name + ":0.000000");
    expected.push_back("running:" + stage.name + ":100.000000");
  }
  expected.push_back("completed:rl_refinement:100.000000");
  EXPECT_EQ(events, expected);
}

TEST(TrackerLogicTest, ContinuesFromTheSeqAnotherWriterStored) {
  MemorySink sink;
  sink.set_stored_seq(41);  // e.g. the server's queued record and an earlier attempt
  TrackerOptions options;
  options.attempt = 2;
  Tracker tracker(sink, kJobId, StagePlan::reference(), std::move(options));
  ASSERT_TRUE(tracker.flush(10s));
  auto record = boost::json::parse(sink.records().back().json).as_object();
  EXPECT_EQ(record.at("seq").as_int64(), 42);
  EXPECT_EQ(record.at("attempt").as_int64(), 2);
}

TEST(TrackerLogicTest, ATerminalWriteThatIsNeverAcknowledgedReturnsAnErrorAfterTheTimeout) {
  TrackerHarness h(with_terminal_timeout(200ms));
  h.sink.set_reachable(false);
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  auto result = h.tracker->mark_completed();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("did not acknowledge"), std::string::npos);
  EXPECT_NE(result.error().find("memory sink is unreachable"), std::string::npos);
  EXPECT_GT(h.tracker->stats().failed_writes, 0u);
}

TEST(TrackerLogicTest, TheTerminalRecordLandsOnceTheSinkRecovers) {
  TrackerHarness h(with_terminal_timeout(100ms));
  h.sink.set_reachable(false);
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  EXPECT_FALSE(h.tracker->mark_completed());
  ASSERT_TRUE(h.clock->wait_until_parked());  // until its next retry
  h.sink.set_reachable(true);
  h.clock->advance(1.0);
  ASSERT_TRUE(h.tracker->flush(30s));
  EXPECT_EQ(h.last_record().at("status").as_string(), "completed");
}

TEST(TrackerLogicTest, AfterTheTerminalRecordTheFlusherSleepsUntilThereIsWork) {
  TrackerOptions options;
  options.cancel_poll_interval = 20ms;
  TrackerHarness h(std::move(options));
  ASSERT_TRUE(h.tracker->mark_completed());
  // Past its last cancel check: a flusher that still waited for it would
  // never park again.
  h.clock->advance(1.0);
  ASSERT_TRUE(h.clock->wait_until_parked());
  EXPECT_EQ(h.sink.records().back().status, "completed");
}

TEST(TrackerLogicTest, SeesACancelRequestWhileTheJobIsSilent) {
  TrackerOptions options;
  options.cancel_poll_interval = 20ms;
  TrackerHarness h(std::move(options));
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  ASSERT_TRUE(h.tracker->flush(10s));
  h.sink.request_cancel();
  ASSERT_TRUE(h.clock->wait_until_parked());
  h.clock->advance(0.01);
  ASSERT_TRUE(h.clock->wait_until_parked());
  EXPECT_FALSE(h.tracker->cancel_requested()) << "polled before the interval was up";
  h.clock->advance(0.02);
  ASSERT_TRUE(h.clock->wait_until_parked());
  EXPECT_TRUE(h.tracker->cancel_requested());
  ASSERT_TRUE(h.tracker->mark_cancelled());
  EXPECT_EQ(h.last_record().at("status").as_string(), "cancelled");
}

TEST(TrackerLogicTest, TheNewestStateIsWrittenWhenTheClockReachesTheNextWrite) {
  TrackerHarness h;  // at most 10 writes a second
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  ASSERT_TRUE(h.tracker->flush(10s));
  const std::size_t before = h.sink.attempts();
  // The first coalesced write is due at once, and sets the next one 0.1 s on.
  ASSERT_TRUE(h.tracker->update_stage_progress(1, 100));
  ASSERT_TRUE(h.sink.wait_for_attempts(before + 1, 30s));
  ASSERT_TRUE(h.tracker->update_stage_progress(2, 100));
  ASSERT_TRUE(h.clock->wait_until_parked());
  h.clock->advance(0.05);
  ASSERT_TRUE(h.clock->wait_until_parked());
  EXPECT_EQ(h.sink.attempts(), before + 1) << "wrote before the write interval was up";
  h.clock->advance(0.06);
  ASSERT_TRUE(h.sink.wait_for_attempts(before + 2, 30s));
  EXPECT_EQ(h.last_record().at("metadata").at("completed_items").as_int64(), 2);
}

TEST(TrackerLogicTest, WhileWritesFailTheFlusherRetriesWithABackoffThatDoubles) {
  TrackerHarness h;
  ASSERT_TRUE(h.tracker->flush(10s));
  std::size_t attempts = h.sink.attempts() + 1;  // the stage start's first attempt
  h.sink.set_reachable(false);
  ASSERT_TRUE(h.tracker->start_stage("loading"));
  ASSERT_TRUE(h.sink.wait_for_attempts(attempts, 30s));
  // Retries after 0.05 s, then 0.1 s, 0.2 s: each checked just short of and
  // just past its time.
  for (double delay : {0.05, 0.1, 0.2}) {
    ASSERT_TRUE(h.clock->wait_until_parked());
    h.clock->advance(delay * 0.8);
    ASSERT_TRUE(h.clock->wait_until_parked());
    EXPECT_EQ(h.sink.attempts(), attempts) << "retried before " << delay << " s";
    h.clock->advance(delay * 0.4);
    ASSERT_TRUE(h.sink.wait_for_attempts(++attempts, 30s)) << "no retry after " << delay << " s";
  }
  ASSERT_TRUE(h.clock->wait_until_parked());
  h.sink.set_reachable(true);
  h.clock->advance(1.0);
  ASSERT_TRUE(h.tracker->flush(30s));
  EXPECT_EQ(h.last_record().at("stage").as_string(), "loading");
  EXPECT_EQ(h.tracker->stats().failed_writes, 4u);
}

TEST(TrackerLogicTest, MetadataIsCarriedAndReservedKeysAreRefused) {
  TrackerHarness h;
  ProgressUpdate with_metadata;
  with_metadata.stage = "loading";
  with_metadata.metadata = {
      {"source", std::string("s3://bucket")}, {"retries", std::int64_t{2}}, {"dry_run", false}};
  ASSERT_TRUE(h.tracker->update(with_metadata));
  ProgressUpdate reserved;
  reserved.metadata = {{"error", std::string("no")}};
  EXPECT_FALSE(h.tracker->update(reserved));
  ASSERT_TRUE(h.tracker->flush(10s));
  auto metadata = h.last_record().at("metadata").as_object();
  EXPECT_EQ(metadata.at("source").as_string(), "s3://bucket");
  EXPECT_EQ(metadata.at("retries").as_int64(), 2);
  EXPECT_FALSE(metadata.at("dry_run").as_bool());
  EXPECT_FALSE(metadata.contains("error"));
}

TEST(TrackerLogicTest, AMillionRapidUpdatesProduceOneWritePerWriteInterval) {
  TrackerHarness h;  // at most 10 writes a second
  ASSERT_TRUE(h.tracker->start_stage("cpsat_solving"));
  constexpr int kUpdates = 1'000'000;
  constexpr int kSteps = 10;  // of 0.1 s each: one second passes during the loop
  for (int i = 1; i <= kUpdates; ++i) {
    h.tracker->update_stage_progress(i, kUpdates);
    if (i % (kUpdates / kSteps) == 0)
      h.clock->advance(0.1);
  }
  ASSERT_TRUE(h.tracker->flush(10s));
  // The two boundaries, the write due at the start, one per 0.1 s and the flush.
  EXPECT_LE(h.sink.records().size(), static_cast<std::size_t>(2 + 1 + kSteps + 1));
  auto record = h.last_record();
  EXPECT_DOUBLE_EQ(record.at("overall_progress").to_number<double>(), 75);
  EXPECT_EQ(record.at("metadata").at("completed_items").as_int64(), kUpdates);
}

TEST(TrackerLogicTest, RejectsACancelPollIntervalThatCouldMissTheOneSecondPromise) {
  auto make = [](std::chrono::milliseconds interval) {
    TrackerOptions options;
    options.cancel_poll_interval = interval;
    // The sink may go before the Tracker: the Tracker shares its state.
    MemorySink sink;
    return std::make_unique<Tracker>(sink, kJobId, StagePlan::reference(), std::move(options));
  };
  try {
    make(1001ms);
    ADD_FAILURE() << "a 1001 ms cancel poll interval was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("cancel_poll_interval"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(make(0ms), std::invalid_argument);
  EXPECT_THROW(make(-5ms), std::invalid_argument);
  EXPECT_NE(make(1s), nullptr);
}

TEST(TrackerLogicTest, RejectsAnUnknownEtaEstimatorAtConstruction) {
  TrackerOptions options;
  options.eta_estimator = "crystal_ball";
  try {
    MemorySink sink;
    Tracker tracker(sink, kJobId, StagePlan::reference(), std::move(options));
    ADD_FAILURE() << "an unknown estimator was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("crystal_ball"), std::string::npos) << error.what();
  }
}

TEST(TrackerLogicTest, RejectsAJobIdThatIsNotAUuid) {
  MemorySink sink;
  EXPECT_THROW(Tracker(sink, "job 1"), std::invalid_argument);
}

}  // namespace
}  // namespace headway
