// The job API (docs/server.md, docs/worker.md) end to end: the real `headway serve` and real
// `headway worker` processes against a real redis-server and a job table on
// SQLite and on PostgreSQL.
// Every wait is bounded (the SSE client's read timeout, `eventually`); none
// is a sleep standing in for synchronization.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>

#include "core/uuid.hpp"
#include "server_fixture.hpp"
#include "support/test_databases.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

const std::vector<std::string> kStages = {"loading", "clustering", "cpsat_solving",
                                          "ga_optimization", "rl_refinement"};

json::object body_of(const HttpResponse& response) {
  return json::parse(response.body).as_object();
}

std::string text(const json::object& object, const char* key) {
  return std::string(object.at(key).as_string());
}

// What one SSE stream showed until `done` (or until `limit` passed).
struct StreamLog {
  std::vector<json::object> records;
  std::string done_status;  // empty: no `done` within the limit
  // Statuses and stages in order, each run of repeats folded into one.
  std::vector<std::string> statuses() const { return folded("status"); }
  std::vector<std::string> stages() const { return folded("stage", true); }

 private:
  std::vector<std::string> folded(const char* key, bool running_only = false) const {
    std::vector<std::string> out;
    for (const auto& record : records) {
      if (running_only && text(record, "status") != "running")
        continue;
      auto value = text(record, key);
      if (out.empty() || out.back() != value)
        out.push_back(value);
    }
    return out;
  }
};

// Reads events until `done`, or until `stop` says the records so far are
// enough; bounded by `limit` overall.
template <typename Stop>
StreamLog read_stream(SseClient& client, Stop stop, std::chrono::seconds limit = 60s) {
  StreamLog log;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto event = client.next(std::max(left, std::chrono::milliseconds(1)));
    if (!event)
      break;
    if (event->event == "progress") {
      log.records.push_back(json::parse(event->data).as_object());
      if (stop(log))
        break;
    } else if (event->event == "done") {
      log.done_status = text(json::parse(event->data).as_object(), "status");
      break;
    }
  }
  return log;
}

StreamLog read_until_done(SseClient& client, std::chrono::seconds limit = 60s) {
  return read_stream(
      client, [](const StreamLog&) { return false; }, limit);
}

class JobsApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  explicit JobsApiTest(std::vector<std::string> serve_args = {})
      : serve_{redis_, std::move(serve_args), ServeOptions{fresh_database(GetParam())}} {}
  ~JobsApiTest() override {
    for (auto& worker : workers_) {
      if (worker.running()) {
        worker.signal(SIGKILL);
        worker.wait();
      }
    }
  }

  HttpResponse create(const std::string& body) {
    return http_send(serve_.port(), "POST", "/api/generation-jobs/generate/", serve_.auth(), body);
  }
  // Creates a job and returns its id; fails the test unless the answer is 201.
  std::string create_id(const std::string& body) {
    auto response = create(body);
    EXPECT_EQ(response.status, 201) << response.body;
    return response.status == 201 ? text(body_of(response), "id") : std::string();
  }
  HttpResponse get(const std::string& path) { return http_get(serve_.port(), path, serve_.auth()); }
  HttpResponse cancel(const std::string& job_id) {
    return http_send(serve_.port(), "DELETE", "/api/generation-jobs/" + job_id + "/cancel/",
                     serve_.auth());
  }
  json::object job(const std::string& job_id) {
    auto response = get("/api/generation-jobs/" + job_id + "/");
    EXPECT_EQ(response.status, 200) << response.body;
    return response.status == 200 ? body_of(response) : json::object();
  }
  void start_worker(const std::vector<std::string>& extra = {}) {
    const char* bin = std::getenv("HEADWAY_BIN");
    ASSERT_NE(bin, nullptr);
    std::vector<std::string> argv = {
        bin,    "worker",        "--redis", redis_.url(),
        "--db", serve_.db_url(), "--name",  "w" + std::to_string(workers_.size())};
    argv.insert(argv.end(), extra.begin(), extra.end());
    workers_.push_back(ChildProcess::spawn(
        argv, serve_.dir() / ("worker-" + std::to_string(workers_.size()) + ".log")));
  }
  std::string worker_log() const {
    std::string logs;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      std::ifstream in(serve_.dir() / ("worker-" + std::to_string(i) + ".log"));
      logs += std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return logs;
  }

  RedisServer redis_;
  ServeProcess serve_;
  std::vector<ChildProcess> workers_;
};

TEST_P(JobsApiTest, CreateAnswers201WithTheQueuedJobRow) {
  auto response = create(R"({"type":"timetable","params":{"duration_s":2,"clusters":12}})");
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
  auto created = body_of(response);
  EXPECT_TRUE(is_uuid(text(created, "id")));
  EXPECT_EQ(text(created, "owner"), "tester");
  EXPECT_EQ(text(created, "type"), "timetable");
  EXPECT_EQ(text(created, "status"), "queued");
  // params is an object with the defaults filled in, not a string.
  const auto& params = created.at("params").as_object();
  EXPECT_EQ(params.at("clusters").to_number<double>(), 12);
  EXPECT_EQ(params.at("duration_s").to_number<double>(), 2);
  for (const char* field : {"stage", "stage_progress", "overall_progress", "eta_seconds", "error",
                            "attempts", "created_at", "started_at", "finished_at", "updated_at"}) {
    EXPECT_TRUE(created.contains(field)) << field;
  }
  EXPECT_TRUE(created.at("finished_at").is_null());
  EXPECT_GT(created.at("created_at").to_number<double>(), 1.6e9);

  // The record is in Redis at once, so a watcher sees the job as queued.
  auto record = json::parse(*redis_.get("progress:job:" + text(created, "id"))).as_object();
  EXPECT_EQ(text(record, "status"), "queued");
  EXPECT_EQ(job(text(created, "id")), created);
}

// Also: a stream opened while the job is queued and no worker runs sees
// `queued`, then every stage once a worker starts.
TEST_P(JobsApiTest, JobCreatedByPostRunsEveryStageInOrderAndCompletes) {
  const auto id = create_id(R"({"type":"timetable","params":{"duration_s":2}})");
  SseClient stream(serve_.port(), stream_path(id), serve_.auth());
  ASSERT_EQ(stream.status(), 200);
  auto connected = stream.next();
  ASSERT_TRUE(connected && connected->event == "connected");
  auto queued = read_stream(stream, [](const StreamLog&) { return true; });
  ASSERT_EQ(queued.records.size(), 1u);
  EXPECT_EQ(text(queued.records[0], "status"), "queued");
  EXPECT_EQ(queued.records[0].at("stages").as_array().size(), 5u);

  start_worker();
  auto log = read_until_done(stream);
  ASSERT_EQ(log.done_status, "completed") << worker_log();
  // `initializing` is followed at once by the first stage; a stream holds only
  // the newest pending record, so on a busy machine the two may arrive as one.
  auto statuses = log.statuses();
  if (!statuses.empty() && statuses.front() == "initializing")
    statuses.erase(statuses.begin());
  EXPECT_EQ(statuses, (std::vector<std::string>{"running", "completed"}));
  EXPECT_EQ(log.stages(), kStages);
  EXPECT_EQ(log.records.back().at("overall_progress").to_number<double>(), 100);
  EXPECT_TRUE(stream.closed());

  // The row is completed with its times (the worker folds the final record).
  ASSERT_TRUE(eventually([&] { return text(job(id), "status") == "completed"; }));
  auto row = job(id);
  EXPECT_EQ(row.at("overall_progress").to_number<double>(), 100);
  EXPECT_EQ(row.at("attempts").as_int64(), 1);
  EXPECT_TRUE(row.at("started_at").is_number());
  ASSERT_TRUE(row.at("finished_at").is_number());
  EXPECT_GE(row.at("finished_at").to_number<double>(), row.at("started_at").to_number<double>());

  // A finished job cannot be cancelled.
  auto late = cancel(id);
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(text(body_of(late), "error"), "conflict");
  EXPECT_NE(text(body_of(late), "detail").find("completed"), std::string::npos);
}

TEST_P(JobsApiTest, StageTimingsListEveryStageOfAFinishedRunInOrderWithItsDuration) {
  start_worker();
  const auto id = create_id(R"({"type":"timetable","params":{"duration_s":2}})");
  ASSERT_TRUE(eventually([&] { return text(job(id), "status") == "completed"; }, 30s))
      << worker_log();
  // The recorder folds the terminal record's stage boundaries in with the row's status.
  auto response = get("/api/generation-jobs/" + id + "/stages/");
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = body_of(response);
  EXPECT_EQ(text(body, "job_id"), id);
  EXPECT_EQ(text(body, "status"), "completed");
  EXPECT_EQ(body.at("attempt").as_int64(), 1);
  const auto& stages = body.at("stages").as_array();
  std::vector<std::string> names;
  double previous_end = 0;
  for (const auto& value : stages) {
    const auto& stage = value.as_object();
    names.push_back(text(stage, "stage"));
    EXPECT_EQ(stage.at("attempt").as_int64(), 1);
    ASSERT_TRUE(stage.at("finished_at").is_number()) << response.body;
    const double started = stage.at("started_at").to_number<double>();
    const double finished = stage.at("finished_at").to_number<double>();
    EXPECT_GE(started, previous_end);
    EXPECT_GE(finished, started);
    EXPECT_DOUBLE_EQ(stage.at("duration_seconds").to_number<double>(), finished - started);
    previous_end = finished;
  }
  EXPECT_EQ(names, kStages);
  const auto row = job(id);
  EXPECT_GE(stages.front().at("started_at").to_number<double>(),
            row.at("started_at").to_number<double>());
  EXPECT_LE(previous_end, row.at("finished_at").to_number<double>());

  // A queued job has no stages yet; ids are checked as on every job endpoint.
  const auto queued = create_id(R"({"type":"timetable","params":{"duration_s":60}})");
  auto none = body_of(get("/api/generation-jobs/" + queued + "/stages/"));
  EXPECT_TRUE(none.at("stages").is_array());
  EXPECT_EQ(get("/api/generation-jobs/not-a-uuid/stages/").status, 400);
  EXPECT_EQ(get("/api/generation-jobs/" + make_uuid() + "/stages/").status, 404);
  EXPECT_EQ(cancel(queued).status, 200);
}

TEST_P(JobsApiTest, ComparisonSetsAFinishedRunBesideTheOtherCompletedRunsOfItsType) {
  // Nothing to compare with yet: this run's times, and an empty spread.
  const auto queued = create_id(R"({"type":"timetable","params":{"duration_s":1}})");
  auto alone = body_of(get("/api/generation-jobs/" + queued + "/comparison/"));
  EXPECT_EQ(text(alone, "type"), "timetable");
  EXPECT_TRUE(alone.at("this_run").at("total_seconds").is_null());
  EXPECT_EQ(alone.at("recent_runs").at("runs").as_int64(), 0);
  EXPECT_TRUE(alone.at("recent_runs").at("total_seconds").at("median").is_null());

  start_worker();
  std::vector<std::string> ids = {queued};
  for (int i = 0; i < 2; ++i)
    ids.push_back(create_id(R"({"type":"timetable","params":{"duration_s":1}})"));
  for (const auto& id : ids) {
    ASSERT_TRUE(eventually([&] { return text(job(id), "status") == "completed"; }, 30s))
        << worker_log();
  }
  // A run of another type is never among them.
  const auto external = create_id(R"({"type":"external","params":{}})");

  const auto& last = ids.back();
  auto response = get("/api/generation-jobs/" + last + "/comparison/");
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = body_of(response);
  EXPECT_EQ(text(body, "job_id"), last);
  EXPECT_EQ(text(body, "status"), "completed");
  // This run, as its stage timings say.
  auto timings = body_of(get("/api/generation-jobs/" + last + "/stages/")).at("stages").as_array();
  const auto& this_run = body.at("this_run").as_object();
  const double span = timings.back().at("finished_at").to_number<double>() -
                      timings.front().at("started_at").to_number<double>();
  EXPECT_DOUBLE_EQ(this_run.at("total_seconds").to_number<double>(), span);
  std::vector<std::string> names;
  for (const auto& stage : this_run.at("stages").as_array())
    names.push_back(text(stage.as_object(), "stage"));
  EXPECT_EQ(names, kStages);
  // The two other runs, not this one.
  const auto& recent = body.at("recent_runs").as_object();
  EXPECT_EQ(recent.at("runs").as_int64(), 2);
  std::vector<double> totals;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    auto other =
        body_of(get("/api/generation-jobs/" + ids[i] + "/stages/")).at("stages").as_array();
    totals.push_back(other.back().at("finished_at").to_number<double>() -
                     other.front().at("started_at").to_number<double>());
  }
  const auto& total = recent.at("total_seconds").as_object();
  EXPECT_EQ(total.at("count").as_int64(), 2);
  EXPECT_DOUBLE_EQ(total.at("min").to_number<double>(), std::min(totals[0], totals[1]));
  EXPECT_DOUBLE_EQ(total.at("max").to_number<double>(), std::max(totals[0], totals[1]));
  EXPECT_DOUBLE_EQ(total.at("median").to_number<double>(), (totals[0] + totals[1]) / 2);
  names.clear();
  for (const auto& value : recent.at("stages").as_array()) {
    const auto& stage = value.as_object();
    names.push_back(text(stage, "stage"));
    const auto& spread = stage.at("duration_seconds").as_object();
    EXPECT_EQ(spread.at("count").as_int64(), 2);
    EXPECT_LE(spread.at("min").to_number<double>(), spread.at("median").to_number<double>());
    EXPECT_LE(spread.at("median").to_number<double>(), spread.at("max").to_number<double>());
  }
  EXPECT_EQ(names, kStages);

  auto external_body = body_of(get("/api/generation-jobs/" + external + "/comparison/"));
  EXPECT_EQ(external_body.at("recent_runs").at("runs").as_int64(), 0);
  // Ids are checked as on every job endpoint.
  EXPECT_EQ(get("/api/generation-jobs/not-a-uuid/comparison/").status, 400);
  EXPECT_EQ(get("/api/generation-jobs/" + make_uuid() + "/comparison/").status, 404);
  EXPECT_EQ(http_get(serve_.port(), "/api/generation-jobs/" + last + "/comparison/", {}).status,
            401);
}

TEST_P(JobsApiTest, WithAWorkerRunningAWatcherSeesEveryStageAndDone) {
  start_worker();
  const auto id = create_id(R"({"type":"timetable","params":{"duration_s":2}})");
  SseClient stream(serve_.port(), stream_path(id), serve_.auth());
  ASSERT_EQ(stream.status(), 200);
  auto log = read_until_done(stream);
  ASSERT_EQ(log.done_status, "completed") << worker_log();
  // Opened after the POST, so the first record seen may already be past
  // `queued`; boundaries are never coalesced away, so every stage shows.
  EXPECT_EQ(log.stages(), kStages);
}

TEST_P(JobsApiTest, CancelWhileQueuedEndsTheStreamAndTheJobNeverRuns) {
  const auto id = create_id(R"({"type":"timetable","params":{"duration_s":2}})");
  SseClient stream(serve_.port(), stream_path(id), serve_.auth());
  auto connected = stream.next();
  ASSERT_TRUE(connected && connected->event == "connected");

  auto first = cancel(id);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(text(body_of(first), "status"), "cancelled");
  auto log = read_until_done(stream, 20s);
  EXPECT_EQ(log.done_status, "cancelled");
  EXPECT_EQ(text(log.records.back(), "status"), "cancelled");

  // Idempotent.
  auto again = cancel(id);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(text(body_of(again), "status"), "already_cancelled");
  auto row = job(id);
  EXPECT_EQ(text(row, "status"), "cancelled");
  EXPECT_TRUE(row.at("started_at").is_null());
}

TEST_P(JobsApiTest, CancelWhileRunningStopsTheJobAndEndsTheStreamCancelled) {
  start_worker();
  const auto id = create_id(R"({"type":"timetable","params":{"duration_s":120}})");
  SseClient stream(serve_.port(), stream_path(id), serve_.auth());
  auto running = read_stream(
      stream, [](const StreamLog& log) { return text(log.records.back(), "status") == "running"; });
  ASSERT_FALSE(running.records.empty()) << worker_log();
  ASSERT_EQ(text(running.records.back(), "status"), "running");

  auto response = cancel(id);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(text(body_of(response), "status"), "cancel_requested");
  auto log = read_until_done(stream, 20s);
  EXPECT_EQ(log.done_status, "cancelled") << worker_log();
  ASSERT_TRUE(eventually([&] { return text(job(id), "status") == "cancelled"; }));
  EXPECT_TRUE(job(id).at("finished_at").is_number());

  auto again = cancel(id);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(text(body_of(again), "status"), "already_cancelled");
}

TEST_P(JobsApiTest, ListIsNewestFirstPaginatedAndFilteredByStatus) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(create_id(R"({"type":"timetable","params":{"duration_s":1}})"));
  ASSERT_EQ(cancel(ids[1]).status, 200);

  std::vector<json::object> seen;
  for (int offset : {0, 2, 4}) {
    auto page = body_of(get("/api/generation-jobs/?limit=2&offset=" + std::to_string(offset)));
    EXPECT_EQ(page.at("count").as_int64(), 5);
    for (const auto& item : page.at("results").as_array())
      seen.push_back(item.as_object());
  }
  ASSERT_EQ(seen.size(), 5u);
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    distinct.insert(text(seen[i], "id"));
    if (i > 0) {
      EXPECT_GE(seen[i - 1].at("created_at").to_number<double>(),
                seen[i].at("created_at").to_number<double>());
    }
  }
  EXPECT_EQ(distinct, std::set<std::string>(ids.begin(), ids.end()));

  auto cancelled = body_of(get("/api/generation-jobs/?status=cancelled"));
  EXPECT_EQ(cancelled.at("count").as_int64(), 1);
  ASSERT_EQ(cancelled.at("results").as_array().size(), 1u);
  EXPECT_EQ(text(cancelled.at("results").as_array()[0].as_object(), "id"), ids[1]);
  EXPECT_EQ(body_of(get("/api/generation-jobs/?status=queued")).at("count").as_int64(), 4);

  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{{"status=sleeping", "status"},
                                                        {"limit=0", "limit"},
                                                        {"limit=x", "limit"},
                                                        {"offset=-1", "offset"}}) {
    auto response = get("/api/generation-jobs/?" + query);
    EXPECT_EQ(response.status, 400) << query;
    EXPECT_EQ(text(body_of(response), "field"), field) << query;
  }
}

TEST_P(JobsApiTest, BadRequestsAreAnsweredWithTheFieldAndAMessageForPeople) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"teleport","params":{}})", "type"},
      {R"({"params":{}})", "type"},
      {R"({"type":"timetable","params":{"clusters":"many"}})", "params.clusters"},
      {R"({"type":"timetable","params":{"colour":"red"}})", "params.colour"},
      {R"({"type":"timetable","params":[1]})", "params"},
      {R"({"type":"timetable","priority":1})", "priority"},
      {R"({"type":"command","params":{"command":"rm"}})", "params.command"},
      {R"({"type":"timetable",)", "body"},
      {R"([1,2])", "body"},
  };
  for (const auto& [body, field] : cases) {
    auto response = create(body);
    ASSERT_EQ(response.status, 400) << body;
    auto error = body_of(response);
    EXPECT_EQ(text(error, "error"), "bad_request") << body;
    EXPECT_EQ(text(error, "field"), field) << body << " -> " << response.body;
    EXPECT_FALSE(text(error, "detail").empty());
  }
  // Nothing was created.
  EXPECT_EQ(body_of(get("/api/generation-jobs/")).at("count").as_int64(), 0);

  const std::string huge =
      R"({"type":"timetable","params":{"x":")" + std::string(2 << 20, 'a') + "\"}}";
  auto too_large = create(huge);
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(text(body_of(too_large), "error"), "body_too_large");

  auto anonymous = http_send(serve_.port(), "POST", "/api/generation-jobs/generate/", {},
                             R"({"type":"timetable"})");
  EXPECT_EQ(anonymous.status, 401);
}

TEST_P(JobsApiTest, JobIdsAreCheckedBeforeTheJobIsLookedUp) {
  EXPECT_EQ(get("/api/generation-jobs/not-a-uuid/").status, 400);
  EXPECT_EQ(cancel("not-a-uuid").status, 400);
  const auto unknown = make_uuid();
  auto missing = get("/api/generation-jobs/" + unknown + "/");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(text(body_of(missing), "error"), "job_not_found");
  EXPECT_EQ(cancel(unknown).status, 404);
  // Upper-case ids name the same job.
  const auto id = create_id(R"({"type":"timetable"})");
  std::string upper = id;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(text(job(upper), "id"), id);
}

// `headway serve --commands` validates `command` jobs as the workers will.
INSTANTIATE_TEST_SUITE_P(Backends, JobsApiTest, database_backends(), DatabaseBackendName());

// The server's liveness sweep, with short timeouts.
class LostJobsApiTest : public JobsApiTest {
 protected:
  LostJobsApiTest() : JobsApiTest({"--lost-job-timeout", "1s", "--external-job-timeout", "1s"}) {}
};

TEST_P(LostJobsApiTest, AStreamOfARunLostWithItsWorkerAndRedisDataGetsDone) {
  start_worker({"--reclaim-idle", "2"});
  const auto id = create_id(R"({"type":"timetable","params":{"duration_s":3}})");
  SseClient stream(serve_.port(), stream_path(id), serve_.auth());
  auto running = read_stream(
      stream, [](const StreamLog& log) { return text(log.records.back(), "status") == "running"; });
  ASSERT_FALSE(running.records.empty()) << worker_log();
  workers_.back().signal(SIGKILL);
  workers_.back().wait();
  redis_.kill();
  redis_.start();  // empty: the stream falls back to the job table

  start_worker({"--reclaim-idle", "2"});
  auto log = read_until_done(stream, 90s);
  EXPECT_EQ(log.done_status, "completed") << worker_log() << serve_.log();
  ASSERT_FALSE(log.records.empty());
  EXPECT_EQ(log.records.back().at("attempt").as_int64(), 2);
  ASSERT_TRUE(eventually([&] { return text(job(id), "status") == "completed"; }));
}

TEST_P(LostJobsApiTest, AStreamOfASilentExternalJobEndsFailed) {
  const auto id = create_id(R"({"type":"external","params":{}})");
  SseClient stream(serve_.port(), stream_path(id), serve_.auth());
  auto log = read_until_done(stream, 60s);
  EXPECT_EQ(log.done_status, "failed") << serve_.log();
  ASSERT_TRUE(eventually([&] { return text(job(id), "status") == "failed"; }));
  EXPECT_NE(text(job(id), "error").find("no progress record"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, LostJobsApiTest, database_backends(), DatabaseBackendName());

TEST(JobsApiConfigTest, CommandJobsAreValidatedWithTheWorkersConfiguration) {
  RedisServer redis;
  TempDir dir;
  const auto config = dir.path() / "worker.json";
  std::ofstream(config) << R"({"commands":{"greet":{"path":"/bin/echo",
      "params":{"name":{"type":"string","required":true}}}}})";
  ServeProcess serve(redis, {"--commands", config.string()});
  auto post = [&](const std::string& body) {
    return http_send(serve.port(), "POST", "/api/generation-jobs/generate/", serve.auth(), body);
  };
  auto missing = post(R"({"type":"command","params":{"command":"greet","args":{}}})");
  ASSERT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(text(body_of(missing), "field"), "params.args.name");
  auto unknown = post(R"({"type":"command","params":{"command":"shout","args":{}}})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  auto fine = post(R"({"type":"command","params":{"command":"greet","args":{"name":"ana"}}})");
  EXPECT_EQ(fine.status, 201) << fine.body;
}

TEST(JobsApiConfigTest, AnUnreadableWorkerConfigurationStopsTheServerAtStart) {
  RedisServer redis;
  TempDir dir;
  const char* bin = std::getenv("HEADWAY_BIN");
  ASSERT_NE(bin, nullptr);
  auto serve = ChildProcess::spawn({bin, "serve", "--listen", "127.0.0.1:0", "--redis", redis.url(),
                                    "--db", (dir.path() / "j.db").string(), "--insecure-no-auth",
                                    "--commands", (dir.path() / "absent.json").string()},
                                   dir.path() / "serve.log");
  EXPECT_NE(serve.wait(), 0);
  std::ifstream log(dir.path() / "serve.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("--commands"), std::string::npos) << text;
}

}  // namespace
}  // namespace headway::test
