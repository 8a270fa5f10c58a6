// Job validation, the worker's configuration file and the command job's
// progress lines, without Redis or processes.
#include <gtest/gtest.h>

#include "jobs/command_config.hpp"
#include "jobs/job_catalog.hpp"
#include "worker/eta_prior.hpp"
#include "worker/jobs/command_job.hpp"
#include "worker/jobs/progress_line.hpp"

namespace headway::worker {
namespace {

namespace json = boost::json;

constexpr const char* kConfig = R"({
  "commands": {
    "report": {
      "path": "/bin/echo",
      "args": ["--fixed"],
      "params": {
        "count": {"type": "integer", "min": 1, "max": 10, "default": 3, "flag": "--count"},
        "verbose": {"type": "boolean", "flag": "-v"},
        "target": {"type": "string", "required": true}
      },
      "stages": [{"name": "fetch", "weight": 30}, {"name": "build", "weight": 70}],
      "stop_grace_s": 0.5,
      "timeout_s": 90
    }
  }
})";

JobCatalog catalog_with_commands() {
  auto config = parse_worker_config(kConfig, "test.json");
  EXPECT_TRUE(config) << (config ? "" : config.error().message);
  return JobCatalog(config ? *config : WorkerConfig{});
}

TEST(JobCatalogTest, TimetableParamsGetTheirDefaults) {
  auto job = JobCatalog().validate_json("timetable", "{}");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->params.at("clusters").as_int64(), 216);
  EXPECT_EQ(job->params.at("duration_s").to_number<double>(), 60);
  ASSERT_TRUE(job->plan);
  EXPECT_EQ(job->plan->size(), 5u);
  EXPECT_TRUE(job->queued);
}

TEST(JobCatalogTest, AnUnknownTypeIsRejectedNamingTheTypeField) {
  auto job = JobCatalog().validate_json("teleport", "{}");
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().code, JobError::Code::invalid_input);
  EXPECT_EQ(job.error().field, "type");
  EXPECT_NE(job.error().message.find("timetable"), std::string::npos) << job.error().message;
}

TEST(JobCatalogTest, BadTimetableParamsAreRejectedNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"clusters": 0})", "params.clusters"},
      {R"({"clusters": "many"})", "params.clusters"},
      {R"({"clusters": 2.5})", "params.clusters"},
      {R"({"duration_s": -1})", "params.duration_s"},
      {R"({"fail_at": "nowhere"})", "params.fail_at"},
      {R"({"colour": "red"})", "params.colour"},
      {R"([1, 2])", "params"},
      {R"({not json)", "params"},
  };
  for (const auto& [params, field] : cases) {
    auto job = JobCatalog().validate_json("timetable", std::string_view(params));
    ASSERT_FALSE(job) << params;
    EXPECT_EQ(job.error().code, JobError::Code::invalid_input) << params;
    EXPECT_EQ(job.error().field, field) << params;
    EXPECT_NE(job.error().message.find(field), std::string::npos) << job.error().message;
  }
}

TEST(JobCatalogTest, ExternalJobsAreValidButNeverQueued) {
  auto job = JobCatalog().validate_json("external", R"({"anything": [1, 2]})");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_FALSE(job->queued);
  EXPECT_FALSE(job->plan);
}

TEST(JobCatalogTest, CommandJobsNameAnAllowedCommandAndValidateItsArguments) {
  const auto catalog = catalog_with_commands();
  auto ok = catalog.validate_json("command", R"({"command": "report", "args": {"target": "x"}})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->params.at("args").at("count").as_int64(), 3);
  ASSERT_TRUE(ok->plan);
  EXPECT_EQ((*ok->plan)[0].name, "fetch");

  const std::pair<const char*, const char*> cases[] = {
      {R"({"command": "rm", "args": {}})", "params.command"},
      {R"({"args": {}})", "params.command"},
      {R"({"command": "report", "args": {}})", "params.args.target"},
      {R"({"command": "report", "args": {"target": "x", "count": 11}})", "params.args.count"},
      {R"({"command": "report", "args": {"target": "-rf"}})", "params.args.target"},
      {R"({"command": "report", "args": {"target": "x", "shell": "sh"}})", "params.args.shell"},
      {R"({"command": "report", "path": "/bin/sh"})", "params.path"},
  };
  for (const auto& [params, field] : cases) {
    auto job = catalog.validate_json("command", std::string_view(params));
    ASSERT_FALSE(job) << params;
    EXPECT_EQ(job.error().field, field) << params << ": " << job.error().message;
  }
}

TEST(JobCatalogTest, WithoutAConfigurationNoCommandIsAllowed) {
  auto job = JobCatalog().validate_json("command", R"({"command": "report"})");
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().field, "params.command");
  EXPECT_NE(job.error().message.find("no commands are configured"), std::string::npos);
}

store::CompletedRun completed_run(std::vector<std::pair<std::string, double>> stages) {
  store::CompletedRun run;
  double at = 1000;
  for (const auto& [name, seconds] : stages) {
    run.stages.push_back({1, name, at, at + seconds});
    at += seconds;
  }
  return run;
}

std::vector<std::pair<std::string, double>> durations_of(
    const std::optional<std::vector<StageDuration>>& durations) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& d : durations.value_or(std::vector<StageDuration>{}))
    out.emplace_back(d.stage, d.seconds);
  return out;
}

TEST(EtaPriorTest, TimetableRunsCompareApartFromTheSeedAndScaleWithTheirDuration) {
  const PriorMatch match = prior_match("timetable");
  auto params = [](std::string_view text) {
    auto validated = JobCatalog().validate_json("timetable", text);
    EXPECT_TRUE(validated) << text;
    return validated ? validated->params : json::object{};
  };
  const auto run = completed_run({{"loading", 2}, {"clustering", 3}});
  const auto now = params(R"({"duration_s": 20, "seed": 1})");
  EXPECT_EQ(durations_of(comparable_durations(match, now, params(R"({"duration_s": 20})"), run)),
            (std::vector<std::pair<std::string, double>>{{"loading", 2}, {"clustering", 3}}));
  // Twice as long a run: the earlier one's stages, twice as long.
  EXPECT_EQ(durations_of(
                comparable_durations(match, now, params(R"({"duration_s": 10, "seed": 4})"), run)),
            (std::vector<std::pair<std::string, double>>{{"loading", 4}, {"clustering", 6}}));
  // Other clusters, another job; a duration of 0 scales nothing.
  EXPECT_FALSE(
      comparable_durations(match, now, params(R"({"duration_s": 20, "clusters": 9})"), run));
  EXPECT_FALSE(comparable_durations(match, now, params(R"({"duration_s": 0})"), run));
  // A stage that never ended, or no stages: nothing to learn from.
  auto unfinished = run;
  unfinished.stages.back().finished_at.reset();
  EXPECT_FALSE(comparable_durations(match, now, params(R"({"duration_s": 20})"), unfinished));
  EXPECT_FALSE(
      comparable_durations(match, now, params(R"({"duration_s": 20})"), store::CompletedRun{}));
}

TEST(EtaPriorTest, CommandRunsCompareOnlyWithEqualArguments) {
  const PriorMatch match = prior_match("command");
  const auto catalog = catalog_with_commands();
  auto params = [&](std::string_view text) {
    auto validated = catalog.validate_json("command", text);
    EXPECT_TRUE(validated) << text;
    return validated ? validated->params : json::object{};
  };
  const auto run = completed_run({{"fetch", 5}, {"build", 7}});
  const auto now = params(R"({"command": "report", "args": {"target": "a"}})");
  EXPECT_EQ(durations_of(comparable_durations(
                match, now, params(R"({"command": "report", "args": {"target": "a"}})"), run)),
            (std::vector<std::pair<std::string, double>>{{"fetch", 5}, {"build", 7}}));
  EXPECT_FALSE(comparable_durations(
      match, now, params(R"({"command": "report", "args": {"target": "b"}})"), run));
}

TEST(CommandConfigTest, ArgumentsFollowTheDeclaredOrderWithFlags) {
  const auto catalog = catalog_with_commands();
  const auto& spec = catalog.config().commands.at("report");
  EXPECT_EQ(spec.stop_grace, std::chrono::milliseconds(500));
  EXPECT_EQ(spec.timeout, std::chrono::milliseconds(90'000));
  auto job = catalog.validate_json(
      "command", R"({"command": "report", "args": {"target": "a b", "verbose": true}})");
  ASSERT_TRUE(job);
  auto argv = command_argv(spec, job->params.at("args").as_object());
  ASSERT_TRUE(argv);
  const std::vector<std::string> expected = {"/bin/echo", "--fixed", "--count", "3", "-v", "a b"};
  EXPECT_EQ(*argv, expected);
}

TEST(CommandConfigTest, MistakesInTheFileNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"commands": {"x": {"args": []}}})", "cfg.commands.x.path"},
      {R"({"commands": {"x": {"path": "relative/tool"}}})", "cfg.commands.x.path"},
      {R"({"commands": {"x": {"path": "/bin/true", "stages": [{"name": "a", "weight": 50}]}}})",
       "cfg.commands.x.stages"},
      {R"({"commands": {"x": {"path": "/bin/true", "params": {"n": {"type": "float"}}}}})",
       "cfg.commands.x.params.n"},
      {R"({"commands": {"x": {"path": "/bin/true", "shell": true}}})", "cfg.commands.x.shell"},
      {R"({"commands": {"x": {"path": "/bin/true", "timeout_s": 0}}})", "cfg.commands.x.timeout_s"},
      {R"({"commands": {"x": {"path": "/bin/true", "timeout_s": "1h"}}})",
       "cfg.commands.x.timeout_s"},
      {R"({"workers": 3})", "cfg.workers"},
      // Found by worker_config_fuzzer: a bound of 0e3009 is NaN, which let any value through.
      {R"({"commands": {"x": {"path": "/bin/true", "params": {"n": {"type": "integer", "max": 0e3009}}}}})",
       "cfg.commands.x.params.n"},
      {R"({"commands": {"x": {"path": "/bin/true", "params": {"n": {"type": "number", "min": 2, "max": 1}}}}})",
       "cfg.commands.x.params.n"},
  };
  for (const auto& [text, field] : cases) {
    auto config = parse_worker_config(text, "cfg");
    ASSERT_FALSE(config) << text;
    EXPECT_EQ(config.error().field, field) << text << ": " << config.error().message;
  }
}

// Found by worker_config_fuzzer: 1e300 seconds overflowed the conversion to
// milliseconds (undefined behaviour), a timeout that fits in milliseconds
// still overflowed the clock's nanoseconds when compared, and 0e3001 (which
// Boost.JSON reads as NaN) passed every comparison.
TEST(CommandConfigTest, TimesTooLongForATimerAreRefused) {
  for (const char* text : {R"({"commands": {"x": {"path": "/bin/true", "stop_grace_s": 1e300}}})",
                           R"({"commands": {"x": {"path": "/bin/true", "timeout_s": 1e12}}})",
                           R"({"commands": {"x": {"path": "/bin/true", "stop_grace_s": 0e3001}}})",
                           R"({"commands": {"x": {"path": "/bin/true", "timeout_s": 0e3001}}})"}) {
    auto config = parse_worker_config(text, "cfg");
    ASSERT_FALSE(config) << text;
    EXPECT_NE(config.error().message.find("at most 100 years"), std::string::npos);
  }
  EXPECT_TRUE(parse_worker_config(
      R"({"commands": {"x": {"path": "/bin/true", "stop_grace_s": 60, "timeout_s": 864000}}})",
      "cfg"));
}

// Times are written as every setting writes durations; the older keys in
// seconds (`stop_grace_s`, `timeout_s`) still work, not both at once.
TEST(CommandConfigTest, TimesAreDurationsAsEverywhereElse) {
  auto config = parse_worker_config(
      R"({"commands": {"x": {"path": "/bin/true", "stop_grace": "1500ms", "timeout": "2h"}}})",
      "cfg");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->commands.at("x").stop_grace, std::chrono::milliseconds(1500));
  EXPECT_EQ(config->commands.at("x").timeout, std::chrono::hours(2));
  const std::pair<const char*, const char*> cases[] = {
      {R"({"commands": {"x": {"path": "/bin/true", "timeout": 90}}})", "cfg.commands.x.timeout"},
      {R"({"commands": {"x": {"path": "/bin/true", "timeout": "0s"}}})", "cfg.commands.x.timeout"},
      {R"({"commands": {"x": {"path": "/bin/true", "stop_grace": "soon"}}})",
       "cfg.commands.x.stop_grace"},
      {R"({"commands": {"x": {"path": "/bin/true", "timeout": "1m", "timeout_s": 60}}})",
       "cfg.commands.x"},
  };
  for (const auto& [text, field] : cases) {
    auto refused = parse_worker_config(text, "cfg");
    ASSERT_FALSE(refused) << text;
    EXPECT_EQ(refused.error().field, field) << text << ": " << refused.error().message;
  }
}

TEST(ProgressLineTest, RecognizesTheFourKindsOfLine) {
  auto stage = parse_progress_line("headway: stage build");
  ASSERT_TRUE(stage);
  EXPECT_EQ(stage->kind, ProgressLine::Kind::stage);
  EXPECT_EQ(stage->text, "build");

  auto count = parse_progress_line("headway: progress 7/20\r");
  ASSERT_TRUE(count);
  EXPECT_EQ(count->kind, ProgressLine::Kind::count);
  EXPECT_EQ(count->completed, 7);
  EXPECT_EQ(count->total, 20);

  auto percent = parse_progress_line("headway: progress 42.5%");
  ASSERT_TRUE(percent);
  EXPECT_EQ(percent->kind, ProgressLine::Kind::percent);
  EXPECT_DOUBLE_EQ(percent->percent, 42.5);

  auto message = parse_progress_line("headway: message copying 3 files");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->kind, ProgressLine::Kind::message);
  EXPECT_EQ(message->text, "copying 3 files");
}

TEST(ProgressLineTest, OrdinaryOutputAndMalformedLinesAreIgnored) {
  for (const char* line : {"hello", "progress 1/2", "headway: progress 3/0",
                           "headway: progress x/2", "headway: progress", "headway: stage",
                           "headway: dance now", "Headway: stage a", "headway: progress 1/2/3"}) {
    EXPECT_FALSE(parse_progress_line(line)) << line;
  }
}

}  // namespace
}  // namespace headway::worker
