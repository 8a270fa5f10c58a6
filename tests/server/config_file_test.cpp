// The configuration of `headway serve` and `headway worker` (src/cli/settings.hpp):
// the TOML file, the environment and flags over it, secrets from files,
// deprecated names, --print-config; and a server and a worker configured by
// the file alone running a job against a password-protected redis-server.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/uuid.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The line of `text` that starts with `prefix`; "" when none does.
std::string line_of(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix))
      return line;
  }
  return {};
}

class ConfigFileTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& name, const std::string& text,
                              mode_t mode = 0600) {
    const auto path = dir_.path() / name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  CommandResult headway(const std::vector<std::string>& args,
                        const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::vector<std::string> argv{headway_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, "", env);
  }
  TempDir dir_;
};

TEST_F(ConfigFileTest, FlagsOverTheEnvironmentOverTheFileOverDefaults) {
  const auto file = write("headway.toml",
                          "# shared by serve and worker\n"
                          "redis = \"redis://127.0.0.1:7001\"\n"
                          "concurrency = 4\n"
                          "\n"
                          "[serve]\n"
                          "listen = \"127.0.0.1:9999\"\n"
                          "threads = 2\n"
                          "log-level = \"debug\"\n"
                          "trust-proxy = true\n"
                          "cors-origins = [\"https://a.example\", \"https://b.example\"]\n"
                          "\n"
                          "[worker]\n"
                          "grace = \"5m\"\n");
  const std::string f = file.string();
  auto shown = headway({"serve", "--config", f, "--print-config", "--log-level", "warn"},
                       {{"HEADWAY_THREADS", "3"}});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_EQ(line_of(shown.out, "listen ="), "listen = \"127.0.0.1:9999\"  # " + f + ":6");
  EXPECT_EQ(line_of(shown.out, "redis ="), "redis = \"redis://127.0.0.1:7001\"  # " + f + ":2");
  EXPECT_EQ(line_of(shown.out, "threads ="), "threads = 3  # HEADWAY_THREADS");
  EXPECT_EQ(line_of(shown.out, "log-level ="), "log-level = \"warn\"  # --log-level");
  EXPECT_EQ(line_of(shown.out, "trust-proxy ="), "trust-proxy = true  # " + f + ":9");
  EXPECT_EQ(line_of(shown.out, "cors-origins ="),
            "cors-origins = \"https://a.example,https://b.example\"  # " + f + ":10");
  EXPECT_EQ(line_of(shown.out, "ping-interval ="), "ping-interval = \"15s\"  # default");
  EXPECT_TRUE(shown.err.empty()) << shown.err;

  // The worker takes the top level and its own table, and ignores [serve].
  auto worker = headway({"worker", "--config", f, "--print-config"});
  ASSERT_EQ(worker.status, 0) << worker.err;
  EXPECT_EQ(line_of(worker.out, "concurrency ="), "concurrency = 4  # " + f + ":3");
  EXPECT_EQ(line_of(worker.out, "grace ="), "grace = \"5m\"  # " + f + ":13");
  EXPECT_EQ(line_of(worker.out, "listen ="), "");

  // HEADWAY_CONFIG names the file when --config does not.
  auto by_env = headway({"worker", "--print-config"}, {{"HEADWAY_CONFIG", f}});
  EXPECT_EQ(line_of(by_env.out, "concurrency ="), "concurrency = 4  # " + f + ":3");
}

TEST_F(ConfigFileTest, SecretsComeFromFilesAndAreMasked) {
  const auto key = write("stream-key", std::string(40, 'k') + "\n");
  const auto password = write("redis-password", "s3cr#t pass\n");
  const auto file = write("headway.toml",
                          "redis = \"redis://127.0.0.1:7001/2\"\n"
                          "[serve]\n"
                          "db = \"postgres://app:db-secret@db.example/headway\"\n"
                          "metrics-token = \"metrics-secret\"\n");
  auto shown = headway({"serve", "--config", file.string(), "--print-config",
                        "--redis-password-file", password.string()},
                       {{"HEADWAY_STREAM_TOKEN_KEY_FILE", key.string()}});
  ASSERT_EQ(shown.status, 0) << shown.err;
  for (const std::string secret : {"kkkk", "s3cr", "db-secret", "metrics-secret"})
    EXPECT_EQ(shown.out.find(secret), std::string::npos) << secret << " shown:\n" << shown.out;
  EXPECT_EQ(
      line_of(shown.out, "stream-token-key ="),
      "stream-token-key = \"********\"  # HEADWAY_STREAM_TOKEN_KEY_FILE (" + key.string() + ")");
  EXPECT_EQ(line_of(shown.out, "redis ="), "redis = \"redis://:***@127.0.0.1:7001/2\"  # " +
                                               file.string() + ":1, password from " +
                                               password.string());
  EXPECT_EQ(line_of(shown.out, "db ="),
            "db = \"postgres://app:***@db.example/headway\"  # " + file.string() + ":3");
  EXPECT_EQ(line_of(shown.out, "metrics-token ="),
            "metrics-token = \"********\"  # " + file.string() + ":4");

  // A Sentinel URL's list of hosts is no URL authority: the password goes in
  // before it, the list and the query untouched.
  auto sentinel = headway({"worker", "--print-config", "--redis",
                           "redis+sentinel://127.0.0.1:26379,[::1]:26380/mymaster?db=2",
                           "--redis-password-file", password.string()});
  ASSERT_EQ(sentinel.status, 0) << sentinel.err;
  EXPECT_EQ(sentinel.out.find("s3cr"), std::string::npos) << sentinel.out;
  EXPECT_EQ(line_of(sentinel.out, "redis ="),
            "redis = \"redis+sentinel://:***@127.0.0.1:26379,[::1]:26380/mymaster?db=2\"  # "
            "--redis, password from " +
                password.string());

  // A value and its file at once is refused, as is a key shorter than 32
  // characters read from a file.
  auto both = headway({"serve", "--print-config"}, {{"HEADWAY_METRICS_TOKEN", "a"},
                                                    {"HEADWAY_METRICS_TOKEN_FILE", key.string()}});
  EXPECT_EQ(both.status, 2);
  EXPECT_NE(both.err.find("HEADWAY_METRICS_TOKEN and HEADWAY_METRICS_TOKEN_FILE are both given"),
            std::string::npos)
      << both.err;
  const auto short_key = write("short", "abc\n");
  auto weak = headway({"serve", "--print-config", "--stream-token-key-file", short_key.string()});
  EXPECT_EQ(weak.status, 2);
  EXPECT_NE(weak.err.find("32 characters"), std::string::npos) << weak.err;
  auto missing = headway({"serve", "--print-config", "--redis-password-file", "/nonexistent"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("cannot read /nonexistent"), std::string::npos) << missing.err;

  // A secret in a file every user can read is pointed out.
  const auto open_file = write("open.toml", "metrics-token = \"metrics-secret\"\n", 0644);
  auto open = headway({"serve", "--config", open_file.string(), "--print-config"});
  EXPECT_EQ(open.status, 0) << open.err;
  EXPECT_NE(open.err.find("readable by every user"), std::string::npos) << open.err;
  // One that only names the file holding it is fine.
  const auto by_file =
      write("by-file.toml", "metrics-token-file = \"" + key.string() + "\"\n", 0644);
  auto quiet = headway({"serve", "--config", by_file.string(), "--print-config"});
  EXPECT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("readable"), std::string::npos) << quiet.err;
  EXPECT_EQ(line_of(quiet.out, "metrics-token ="),
            "metrics-token = \"********\"  # " + by_file.string() + ":1 (" + key.string() + ")");
}

TEST_F(ConfigFileTest, EarlierNamesStillWorkWithANoteOnStandardError) {
  auto shown = headway({"serve", "--print-config"}, {{"REDIS_URL", "redis://127.0.0.1:7002"},
                                                     {"DATABASE_URL", "sqlite:///tmp/old.db"}});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_EQ(line_of(shown.out, "redis ="), "redis = \"redis://127.0.0.1:7002\"  # REDIS_URL");
  EXPECT_EQ(line_of(shown.out, "db ="), "db = \"sqlite:///tmp/old.db\"  # DATABASE_URL");
  EXPECT_NE(shown.err.find("REDIS_URL is deprecated; set HEADWAY_REDIS instead"), std::string::npos)
      << shown.err;
  EXPECT_NE(shown.err.find("DATABASE_URL is deprecated; set HEADWAY_DB instead"),
            std::string::npos);

  // The new name wins when both are set.
  auto both = headway({"worker", "--print-config"}, {{"REDIS_URL", "redis://127.0.0.1:7002"},
                                                     {"HEADWAY_REDIS", "redis://127.0.0.1:7003"}});
  EXPECT_EQ(line_of(both.out, "redis ="), "redis = \"redis://127.0.0.1:7003\"  # HEADWAY_REDIS");
  EXPECT_EQ(both.err.find("deprecated"), std::string::npos) << both.err;

  // `--config` given the JSON command file is the command file, as it was.
  const auto commands = write("commands.json", "\n  {\"commands\": {}}\n");
  auto json_config = headway({"worker", "--config", commands.string(), "--print-config"});
  ASSERT_EQ(json_config.status, 0) << json_config.err;
  EXPECT_EQ(line_of(json_config.out, "commands ="),
            "commands = \"" + commands.string() + "\"  # --config (deprecated)");
  EXPECT_NE(json_config.err.find("use --commands " + commands.string()), std::string::npos)
      << json_config.err;
  auto serve_env =
      headway({"serve", "--print-config"}, {{"HEADWAY_WORKER_CONFIG", commands.string()}});
  EXPECT_EQ(line_of(serve_env.out, "commands ="),
            "commands = \"" + commands.string() + "\"  # HEADWAY_WORKER_CONFIG");

  // The account commands read HEADWAY_DB, and DATABASE_URL with a note.
  const auto db = "sqlite://" + (dir_.path() / "accounts.db").string();
  auto added = run_command({headway_bin(), "user", "add", "carol"}, "carol-password\n",
                           {{"DATABASE_URL", db}});
  EXPECT_EQ(added.status, 0) << added.err;
  EXPECT_NE(added.err.find("DATABASE_URL is deprecated"), std::string::npos) << added.err;
  auto listed = run_command({headway_bin(), "token", "list", "carol"}, "", {{"HEADWAY_DB", db}});
  EXPECT_EQ(listed.status, 0) << listed.err;
  EXPECT_EQ(listed.err.find("deprecated"), std::string::npos) << listed.err;
}

TEST_F(ConfigFileTest, MistakesNameTheFileAndLine) {
  auto run = [&](const std::string& text) {
    return headway({"serve", "--print-config", "--config", write("bad.toml", text).string()});
  };
  const std::string f = (dir_.path() / "bad.toml").string();
  auto typo = run("[serve]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n");
  EXPECT_EQ(typo.status, 2);
  EXPECT_NE(typo.err.find(f + ":3: unknown key 'lisen' in [serve]"), std::string::npos) << typo.err;
  auto top = run("\nno-such-thing = 1\n");
  EXPECT_NE(top.err.find(f + ":2: unknown key 'no-such-thing'"), std::string::npos) << top.err;
  auto table = run("[sever]\nlisten = \"x\"\n");
  EXPECT_NE(table.err.find(f + ":1: unknown table [sever]"), std::string::npos) << table.err;
  auto syntax = run("[serve]\nlisten = \"127.0.0.1:1\n");
  EXPECT_EQ(syntax.status, 2);
  EXPECT_NE(syntax.err.find(f + ":2:"), std::string::npos) << syntax.err;
  auto value = run("[serve]\n\nwrite-timeout = \"soon\"\n");
  EXPECT_EQ(value.status, 2);
  EXPECT_NE(value.err.find("--write-timeout: expected a positive duration"), std::string::npos)
      << value.err;
  EXPECT_NE(value.err.find("(from " + f + ":3)"), std::string::npos) << value.err;
  auto kind = run("[serve]\nlisten = { host = \"x\" }\n");
  EXPECT_NE(kind.err.find(f + ":2: expected a string, a number, true or false"), std::string::npos)
      << kind.err;
  auto absent = headway({"serve", "--config", f + ".missing"});
  EXPECT_EQ(absent.status, 2);
  EXPECT_NE(absent.err.find("cannot read"), std::string::npos) << absent.err;
}

TEST_F(ConfigFileTest, WorkerDurationsAreWrittenAsEverywhereElse) {
  auto minutes = headway({"worker", "--print-config", "--reclaim-idle", "5m", "--grace", "1.5"});
  ASSERT_EQ(minutes.status, 0) << minutes.err;
  EXPECT_EQ(line_of(minutes.out, "reclaim-idle ="), "reclaim-idle = \"5m\"  # --reclaim-idle");
  auto tiny = headway({"worker", "--print-config", "--reclaim-idle", "10ms"});
  EXPECT_EQ(tiny.status, 2);
  EXPECT_NE(tiny.err.find("--reclaim-idle: expected a duration"), std::string::npos) << tiny.err;
  auto many = headway({"worker", "--print-config"}, {{"HEADWAY_CONCURRENCY", "5000"}});
  EXPECT_EQ(many.status, 2);
  EXPECT_NE(many.err.find("(from HEADWAY_CONCURRENCY)"), std::string::npos) << many.err;
}

TEST_F(ConfigFileTest, DocsCarryTheGeneratedTables) {
  const char* source = std::getenv("HEADWAY_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  for (const std::string command : {"serve", "worker"}) {
    auto table = headway({command, "--print-config-table"});
    ASSERT_EQ(table.status, 0) << table.err;
    const auto doc =
        std::string(source) + "/docs/" + (command == "serve" ? "server" : "worker") + ".md";
    EXPECT_NE(read_text(doc).find(table.out), std::string::npos)
        << doc << " is out of date; regenerate with `headway " << command
        << " --print-config-table`:\n"
        << table.out;
  }
}

// A server and a worker that get everything from one file, the Redis
// password from another, run a job to the end.
TEST_F(ConfigFileTest, ServerAndWorkerConfiguredByTheFileAloneRunAJob) {
  RedisServer redis({"--requirepass", "file-password"});
  const auto password = write("redis-password", "file-password\n");
  const int port = free_loopback_port();
  const auto file =
      write("headway.toml", "redis = \"" + redis.url() + "\"\n" + "redis-password-file = \"" +
                                password.string() + "\"\n" + "db = \"sqlite://" +
                                (dir_.path() / "jobs.db").string() + "\"\n" +
                                "\n[serve]\n"
                                "listen = \"127.0.0.1:" +
                                std::to_string(port) +
                                "\"\n"
                                "threads = 2\n"
                                "insecure-no-auth = true\n"
                                "recorder-consumer = \"config-test\"\n"
                                "\n[worker]\n"
                                "name = \"config-test-worker\"\n"
                                "grace = \"1s\"\n");
  auto serve = ChildProcess::spawn({headway_bin(), "serve", "--config", file.string()},
                                   dir_.path() / "serve.log");
  ASSERT_TRUE(eventually([&] {
    try {
      return http_get(port, "/api/generation/health/").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  })) << read_text(dir_.path() / "serve.log");
  auto worker = ChildProcess::spawn({headway_bin(), "worker", "--config", file.string()},
                                    dir_.path() / "worker.log");

  auto created = http_send(port, "POST", "/api/generation-jobs/generate/", {},
                           R"({"type":"timetable","params":{"duration_s":0.3,"clusters":4}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::parse(created.body).as_object().at("id").as_string());
  SseClient stream(port, stream_path(id));
  std::string last;
  for (int i = 0; i < 1000; ++i) {
    auto event = stream.next();
    ASSERT_TRUE(event) << read_text(dir_.path() / "worker.log");
    if (event->event == "done") {
      last = event->data;
      break;
    }
  }
  EXPECT_EQ(json::parse(last).as_object().at("status").as_string(), "completed");
  EXPECT_NE(read_text(dir_.path() / "worker.log").find("config-test-worker"), std::string::npos)
      << read_text(dir_.path() / "worker.log");
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(), 0);
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(), 0);
}

}  // namespace
}  // namespace headway::test
