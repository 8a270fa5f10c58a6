// The client commands (`headway submit`, `jobs`, `watch`, `token list`) as
// scripts run them: the real binary against a real `headway serve` and
// redis-server, their --json output parsed, and every documented exit
// status provoked. (https:// is covered through nginx by deploy_nginx_test.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <boost/json.hpp>

#include "headway/version.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

class CliClientTest : public ::testing::Test {
 protected:
  CliClientTest() : serve_(redis_) {}

  // `headway ARGS...` against the test's server with its admin token.
  CommandResult client(std::vector<std::string> args, const std::string& token = "") {
    args.insert(args.begin(), headway_bin());
    args.insert(args.end(), {"--server", "http://127.0.0.1:" + std::to_string(serve_.port()),
                             "--token", token.empty() ? serve_.token() : token});
    return run_command(args);
  }

  std::string submit_external() {
    auto created = client({"submit", "external", "--json"});
    EXPECT_EQ(created.status, 0) << created.err;
    return std::string(json::parse(created.out).at("id").as_string());
  }

  RedisServer redis_;
  ServeProcess serve_;
};

TEST(CliConventionsTest, VersionFlagPrintsTheVersionLikeTheVersionCommand) {
  auto flag = run_command({headway_bin(), "--version"});
  auto command = run_command({headway_bin(), "version"});
  EXPECT_EQ(flag.status, 0);
  EXPECT_EQ(flag.out, std::string("headway ") + headway::version() + "\n");
  EXPECT_EQ(flag.out, command.out);
}

TEST(CliConventionsTest, HelpOfEveryClientCommandDocumentsTheExitStatuses) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"submit", "--help"},
                                        {"jobs", "--help"},
                                        {"watch", "--help"},
                                        {"token", "list", "--help"}}) {
    args.insert(args.begin(), headway_bin());
    auto help = run_command(args);
    EXPECT_EQ(help.status, 0) << args[1];
    EXPECT_NE(help.out.find("Exit status: 0 success"), std::string::npos) << args[1] << help.out;
    EXPECT_NE(help.out.find("4 no valid credentials"), std::string::npos) << args[1];
  }
}

TEST(CliConventionsTest, AMalformedCommandLineExitsTwo) {
  EXPECT_EQ(run_command({headway_bin(), "jobs", "--no-such-flag"}).status, 2);
  EXPECT_EQ(run_command({headway_bin(), "jobs", "--limit", "0"}).status, 2);
  EXPECT_EQ(run_command({headway_bin(), "watch", "not-a-uuid"}).status, 2);
  EXPECT_EQ(run_command({headway_bin(), "jobs", "--server", "ftp://example"}).status, 2);
}

TEST(CliConventionsTest, ServeAndWorkerRefuseARedisClusterUrlSayingWhy) {
  const auto directory = std::filesystem::temp_directory_path() /
                         ("headway-cluster-refusal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const std::string db = "sqlite://" + (directory / "jobs.db").string();
  const std::string cluster = "redis+cluster://127.0.0.1:" + std::to_string(free_loopback_port());
  auto serve = run_command({headway_bin(), "serve", "--redis", cluster, "--db", db, "--listen",
                            "127.0.0.1:" + std::to_string(free_loopback_port())});
  EXPECT_EQ(serve.status, 1) << serve.err;
  EXPECT_NE(serve.err.find("does not run on a Redis Cluster yet"), std::string::npos) << serve.err;
  auto worker = run_command({headway_bin(), "worker", "--redis", cluster, "--db", db});
  EXPECT_EQ(worker.status, 2) << worker.err;
  EXPECT_NE(worker.err.find("does not run on a Redis Cluster yet"), std::string::npos)
      << worker.err;
  std::filesystem::remove_all(directory);
}

TEST(CliConventionsTest, AServerThatIsNotThereExitsThree) {
  const auto port = std::to_string(free_loopback_port());
  for (const char* command : {"jobs", "submit"}) {
    std::vector<std::string> args{headway_bin(), command, "--server", "http://127.0.0.1:" + port};
    if (std::string(command) == "submit")
      args.push_back("external");
    auto result = run_command(args);
    EXPECT_EQ(result.status, 3) << command << result.err;
    EXPECT_NE(result.err.find("cannot reach the server"), std::string::npos) << result.err;
  }
}

TEST_F(CliClientTest, SubmitJsonPrintsTheCreatedJob) {
  auto created = client({"submit", "external", "--json"});
  ASSERT_EQ(created.status, 0) << created.err;
  auto job = json::parse(created.out).as_object();
  EXPECT_EQ(job.at("type").as_string(), "external");
  EXPECT_EQ(job.at("owner").as_string(), "tester");
  EXPECT_EQ(job.at("status").as_string(), "queued");
  EXPECT_EQ(created.out.back(), '\n');
  EXPECT_EQ(created.out.find('\n'), created.out.size() - 1) << "one line";
}

TEST_F(CliClientTest, JobsJsonListsTheJobsAsTheApiAnswers) {
  const auto first = submit_external();
  const auto second = submit_external();
  auto listed = client({"jobs", "--json", "--limit", "5"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  auto page = json::parse(listed.out).as_object();
  EXPECT_EQ(page.at("count").as_int64(), 2);
  EXPECT_EQ(page.at("limit").as_int64(), 5);
  const auto& results = page.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("id").as_string(), second);  // newest first
  EXPECT_EQ(results[1].at("id").as_string(), first);

  auto table = client({"jobs"});
  ASSERT_EQ(table.status, 0);
  EXPECT_TRUE(table.out.starts_with("ID")) << table.out;
  EXPECT_NE(table.out.find(first), std::string::npos);
}

TEST_F(CliClientTest, WatchExitsZeroForACompletedJobAndOneForACancelledOne) {
  const auto done = submit_external();
  const auto cancelled = submit_external();
  RecordWriter writer(redis_);  // seq 1 is the `queued` record the server wrote
  ASSERT_TRUE(writer.write(make_record(done, 2, JobStatus::completed, 100), true));
  ASSERT_TRUE(writer.write(make_record(cancelled, 2, JobStatus::cancelled, 40), true));

  auto watched = client({"watch", done});
  EXPECT_EQ(watched.status, 0) << watched.err;
  EXPECT_NE(watched.out.find("job " + done + " completed"), std::string::npos) << watched.out;

  auto lines = client({"watch", cancelled, "--json"});
  EXPECT_EQ(lines.status, 1) << lines.err;
  std::vector<std::string> events;
  std::istringstream in(lines.out);
  for (std::string line; std::getline(in, line);)
    events.emplace_back(json::parse(line).at("event").as_string());
  EXPECT_EQ(events, (std::vector<std::string>{"connected", "progress", "done"})) << lines.out;
}

TEST_F(CliClientTest, RejectedInputExitsTwoAndBadCredentialsFour) {
  auto unknown_type = client({"submit", "no-such-type"});
  EXPECT_EQ(unknown_type.status, 2) << unknown_type.err;
  EXPECT_NE(unknown_type.err.find("HTTP 400"), std::string::npos) << unknown_type.err;

  for (std::vector<std::string> args : {std::vector<std::string>{"jobs"},
                                        {"submit", "external"},
                                        {"watch", "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77"}}) {
    auto refused = client(args, "hw_not-a-token");
    EXPECT_EQ(refused.status, 4) << args[0] << refused.err;
    EXPECT_NE(refused.err.find("HTTP 401"), std::string::npos) << refused.err;
  }
}

TEST_F(CliClientTest, WatchOfAnUnknownJobExitsOne) {
  auto unknown = client({"watch", "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77"});
  EXPECT_EQ(unknown.status, 1) << unknown.err;
  EXPECT_NE(unknown.err.find("HTTP 404"), std::string::npos) << unknown.err;
}

TEST_F(CliClientTest, TokenListJsonDescribesEveryToken) {
  auto listed =
      run_command({headway_bin(), "token", "list", "tester", "--json", "--db", serve_.db_url()});
  ASSERT_EQ(listed.status, 0) << listed.err;
  auto tokens = json::parse(listed.out).as_array();
  ASSERT_EQ(tokens.size(), 1u) << listed.out;
  const auto& token = tokens[0].as_object();
  EXPECT_EQ(token.at("user").as_string(), "tester");
  EXPECT_EQ(token.at("state").as_string(), "active");
  EXPECT_TRUE(token.at("created_at").is_number());
  EXPECT_TRUE(token.at("revoked_at").is_null());
  EXPECT_FALSE(token.at("id").as_string().empty());
}

}  // namespace
}  // namespace headway::test
