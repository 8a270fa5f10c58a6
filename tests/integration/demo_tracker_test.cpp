// `headway demo-tracker` (the quick start's job) against a real redis-server:
// it prints every record it writes and ends with the completed one.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/uuid.hpp"
#include "redis/keys.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

namespace headway {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(DemoTrackerTest, PrintsEachRecordItWritesAndEndsCompleted) {
  const char* bin = std::getenv("HEADWAY_BIN");
  ASSERT_NE(bin, nullptr) << "HEADWAY_BIN is not set (run through ctest)";
  test::RedisServer redis;
  test::TempDir dir;
  const std::string job_id = make_uuid();
  const auto out = dir.path() / "records.jsonl";
  const auto err = dir.path() / "demo.log";
  auto demo = test::ChildProcess::spawn(
      {bin, "demo-tracker", "--redis", redis.url(), "--duration", "1", "--job-id", job_id}, out,
      err);
  ASSERT_EQ(demo.wait(120s), 0) << read_file(err);

  const auto lines = read_lines(out);
  ASSERT_FALSE(lines.empty()) << read_file(err);
  std::int64_t last_seq = 0;
  for (const auto& line : lines) {
    boost::system::error_code error;
    auto value = json::parse(line, error);
    ASSERT_FALSE(error) << "not JSON: " << line;
    ASSERT_TRUE(value.is_object()) << line;
    const auto& record = value.as_object();
    EXPECT_EQ(record.at("job_id").as_string(), job_id);
    EXPECT_GT(record.at("seq").as_int64(), last_seq) << line;
    last_seq = record.at("seq").as_int64();
  }
  const auto last = json::parse(lines.back()).as_object();
  EXPECT_EQ(last.at("status").as_string(), "completed");
  EXPECT_DOUBLE_EQ(last.at("overall_progress").to_number<double>(), 100);
  // What it printed last is exactly what Redis holds.
  EXPECT_EQ(redis.get(redis::keys::record(job_id)), lines.back());
}

}  // namespace
}  // namespace headway
