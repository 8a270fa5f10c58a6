// The in-memory sink as a user of the library sees it: only the public
// headers, as a program testing its own use of a Tracker would include them.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "headway/memory_sink.hpp"
#include "headway/tracker.hpp"

namespace {

using namespace std::chrono_literals;
constexpr const char* kJobId = "0b7e2d4c-5f1a-4e8b-9c3d-2a6f8e1b7c90";

// Code under test, as a user would write it: it knows only the Tracker.
// Returns how many rows it imported.
int import_rows(headway::Tracker& tracker, int rows) {
  tracker.start_stage("fetch");
  for (int row = 1; row <= rows; ++row) {
    if (tracker.cancel_requested()) {
      tracker.mark_cancelled();
      return row - 1;
    }
    tracker.update_stage_progress(row, rows);
  }
  tracker.complete_stage();
  tracker.start_stage("load");
  tracker.complete_stage();
  if (auto done = tracker.mark_completed(); !done)
    ADD_FAILURE() << done.error();
  return rows;
}

headway::StagePlan import_plan() {
  return headway::StagePlan::from_weights({{"fetch", 80}, {"load", 20}});
}

std::vector<std::string> boundary_statuses(const headway::MemorySink& sink) {
  std::vector<std::string> statuses;
  for (const auto& record : sink.records()) {
    if (record.boundary)
      statuses.push_back(record.status);
  }
  return statuses;
}

TEST(MemorySinkTest, KeepsEveryBoundaryAndTheTerminalRecordInOrder) {
  headway::MemorySink sink;
  headway::Tracker tracker(sink, kJobId, import_plan());
  EXPECT_EQ(import_rows(tracker, 1000), 1000);
  const auto records = sink.records();
  ASSERT_FALSE(records.empty());
  std::int64_t last_seq = 0;
  for (const auto& record : records) {
    EXPECT_GT(record.seq, last_seq);
    last_seq = record.seq;
  }
  // initializing; fetch started, completed; load started, completed; completed.
  EXPECT_EQ(boundary_statuses(sink), (std::vector<std::string>{"initializing", "running", "running",
                                                               "running", "running", "completed"}));
  EXPECT_EQ(records.back().status, "completed");
  EXPECT_NE(records.back().json.find("\"overall_progress\":100"), std::string::npos)
      << records.back().json;
  EXPECT_NE(records.back().json.find(kJobId), std::string::npos);
}

TEST(MemorySinkTest, ACancelRequestedBeforeTheFirstWriteIsSeenOnceItIsFlushed) {
  headway::MemorySink sink;
  sink.request_cancel();
  headway::Tracker tracker(sink, kJobId, import_plan());
  ASSERT_TRUE(tracker.flush(10s));
  EXPECT_TRUE(tracker.cancel_requested());
  EXPECT_EQ(import_rows(tracker, 1000), 0);
  EXPECT_EQ(sink.records().back().status, "cancelled");
}

TEST(MemorySinkTest, AnUnreachableSinkFailsTheTerminalCallAndTheRecordLandsLater) {
  headway::MemorySink sink;
  headway::TrackerOptions options;
  options.terminal_timeout = 100ms;
  headway::Tracker tracker(sink, kJobId, import_plan(), options);
  ASSERT_TRUE(tracker.start_stage("fetch"));
  sink.set_reachable(false);
  auto failed = tracker.mark_failed("disk full");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().find("did not acknowledge"), std::string::npos) << failed.error();
  EXPECT_GT(tracker.stats().failed_writes, 0u);
  sink.set_reachable(true);
  ASSERT_TRUE(tracker.flush(30s));
  const auto last = sink.records().back();
  EXPECT_EQ(last.status, "failed");
  EXPECT_NE(last.json.find("\"error\":\"disk full\""), std::string::npos) << last.json;
}

TEST(MemorySinkTest, TheTrackerContinuesFromASeqAnotherWriterStored) {
  headway::MemorySink sink;
  sink.set_stored_seq(1);  // the server's `queued` record
  headway::Tracker tracker(sink, kJobId, import_plan());
  ASSERT_TRUE(tracker.flush(10s));
  const auto records = sink.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records.front().seq, 2);
  EXPECT_EQ(records.front().status, "initializing");
}

}  // namespace
