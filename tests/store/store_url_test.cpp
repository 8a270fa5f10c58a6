#include <gtest/gtest.h>

#include "store/job_store.hpp"
#include "store/store_url.hpp"

namespace headway::store {
namespace {

using Engine = StoreLocation::Engine;

void expect_location(std::string_view url, Engine engine, const std::string& target) {
  auto location = parse_store_url(url);
  ASSERT_TRUE(location.has_value()) << url << ": " << location.error().message;
  EXPECT_EQ(location->engine, engine) << url;
  EXPECT_EQ(location->target, target) << url;
}

TEST(StoreUrlTest, SqliteUrlsNameAnAbsoluteOrRelativeFile) {
  expect_location("sqlite:///var/lib/headway/jobs.db", Engine::sqlite, "/var/lib/headway/jobs.db");
  expect_location("sqlite://data/jobs.db", Engine::sqlite, "data/jobs.db");
  expect_location("jobs.db", Engine::sqlite, "jobs.db");
  expect_location("/abs/jobs.db", Engine::sqlite, "/abs/jobs.db");
  expect_location(":memory:", Engine::sqlite, ":memory:");
}

TEST(StoreUrlTest, PostgresUrisArePassedToLibpqUnchanged) {
  expect_location("postgres://u:p@db:5432/headway", Engine::postgres,
                  "postgres://u:p@db:5432/headway");
  expect_location("postgresql://db/headway?sslmode=require", Engine::postgres,
                  "postgresql://db/headway?sslmode=require");
}

TEST(StoreUrlTest, UnknownSchemesAndEmptyUrlsAreRejected) {
  for (std::string_view url : {"", "mysql://db/x", "sqlite://", "http://x"}) {
    auto location = parse_store_url(url);
    ASSERT_FALSE(location.has_value()) << url;
    EXPECT_EQ(location.error().code, ErrorCode::invalid_argument);
  }
}

TEST(StoreUrlTest, RedactionHidesOnlyThePassword) {
  EXPECT_EQ(redact_url("postgres://user:secret@db:5432/x"), "postgres://user:***@db:5432/x");
  EXPECT_EQ(redact_url("postgres://user@db/x"), "postgres://user@db/x");
  EXPECT_EQ(redact_url("postgres://db:5432/x"), "postgres://db:5432/x");
  EXPECT_EQ(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
}

TEST(JobStatusTest, NamesRoundTripAndOnlyFinalStatesAreTerminal) {
  for (auto status : {JobStatus::queued, JobStatus::initializing, JobStatus::running,
                      JobStatus::completed, JobStatus::failed, JobStatus::cancelled}) {
    EXPECT_EQ(parse_job_status(to_string(status)), status);
  }
  EXPECT_EQ(parse_job_status("Running"), std::nullopt);
  EXPECT_FALSE(is_terminal(JobStatus::running));
  EXPECT_TRUE(is_terminal(JobStatus::cancelled));
}

TEST(UuidTest, OnlyCanonicalUuidsAreValid) {
  EXPECT_TRUE(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(is_uuid("123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_FALSE(is_uuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(is_uuid("{123e4567-e89b-12d3-a456-426614174000}"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400z"));
}

}  // namespace
}  // namespace headway::store
