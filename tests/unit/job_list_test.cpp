// The job list and resume position of a many-job stream (src/server/streams/many_job_stream).
#include "server/streams/many_job_stream.hpp"

#include <gtest/gtest.h>

namespace headway::server {
namespace {

constexpr const char* kA = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";
constexpr const char* kB = "0b7e2d4c-1a2b-4c3d-8e9f-a0b1c2d3e4f5";

TEST(JobListTest, IdsAreLowerCasedAndKeepTheirOrder) {
  std::vector<StreamedJob> jobs;
  EXPECT_FALSE(parse_job_list(std::string(kB) + ",6F1C1C0E-8D1F-4C43-9F0A-3B8E2F1D9A77", jobs));
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].id, kB);
  EXPECT_EQ(jobs[1].id, kA);
  EXPECT_EQ(jobs[0].position, 0);
}

TEST(JobListTest, EmptyMalformedRepeatedOrTooManyIdsAreRefused) {
  std::vector<StreamedJob> jobs;
  EXPECT_EQ(parse_job_list("", jobs)->error, "invalid_job_list");
  EXPECT_EQ(parse_job_list(std::string(kA) + ",", jobs)->error, "invalid_job_id");
  EXPECT_EQ(parse_job_list("nope", jobs)->error, "invalid_job_id");
  EXPECT_EQ(parse_job_list(std::string(kA) + "," + kA, jobs)->error, "invalid_job_list");
  std::string many = kA;
  for (std::size_t i = 0; i < kMaxJobsPerStream; ++i) {
    const std::string digits = std::to_string(100000000000 + i);
    many += ",00000000-0000-4000-8000-" + digits;
  }
  EXPECT_EQ(parse_job_list(many, jobs)->error, "too_many_jobs");
  EXPECT_TRUE(jobs.empty());
}

TEST(JobListTest, APositionAppliesOnlyWhenItHasOneWholeSeqPerJob) {
  std::vector<StreamedJob> jobs;
  ASSERT_FALSE(parse_job_list(std::string(kA) + "," + kB, jobs));
  apply_positions("12,0", jobs);
  EXPECT_EQ(format_positions(jobs), "12,0");
  for (const char* bad : {"", "5", "1,2,3", "1,-2", "1,x", "1,", "1,9007199254740992"}) {
    std::vector<StreamedJob> copy = jobs;
    apply_positions(bad, copy);
    EXPECT_EQ(format_positions(copy), "12,0") << bad;
  }
  apply_positions("7,9007199254740991", jobs);
  EXPECT_EQ(format_positions(jobs), "7,9007199254740991");
}

}  // namespace
}  // namespace headway::server
