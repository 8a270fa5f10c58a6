#include "worker/worker_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "redis/keys.hpp"

namespace headway::test {
namespace json = boost::json;

WorkerFixture::WorkerFixture(std::vector<std::string> redis_args) : redis_(std::move(redis_args)) {
  db_url_ = fresh_database(GetParam());
  if (db_url_.empty())
    db_url_ = "sqlite://" + (dir_.path() / "jobs.db").string();
  auto opened = store::open_job_store(db_url_);
  if (!opened)
    throw std::runtime_error("cannot open the job table: " + opened.error().message);
  store_ = std::move(*opened);
  connection_ = redis_.connect();
}

WorkerFixture::~WorkerFixture() {
  if (HasFailure())
    std::cerr << "---- worker logs ----\n" << worker_logs() << "---------------------\n";
}

std::string WorkerFixture::enqueue(const std::string& type, const std::string& params_json) {
  auto job = worker::enqueue_job(*connection_, *store_, catalog_,
                                 {.owner = "alice", .type = type, .params_json = params_json});
  if (!job) {
    ADD_FAILURE() << "enqueue failed: " << job.error().message;
    return {};
  }
  return job->id;
}

worker::JobResult<worker::CancelOutcome> WorkerFixture::cancel(const std::string& job_id) {
  return worker::cancel_job(*connection_, *store_, job_id);
}

ChildProcess WorkerFixture::start_worker(const std::vector<std::string>& extra) {
  const char* binary = std::getenv("HEADWAY_BIN");
  if (binary == nullptr)
    throw std::runtime_error("HEADWAY_BIN is not set (run through ctest)");
  std::vector<std::string> argv = {binary, "worker", "--redis", redis_.url(), "--db", db_url_};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const int index = workers_started_++;
  return ChildProcess::spawn(argv, path("worker-" + std::to_string(index) + ".log"));
}

std::string WorkerFixture::worker_logs() const {
  std::string logs;
  for (int i = 0; i < workers_started_; ++i) {
    std::ifstream in(path("worker-" + std::to_string(i) + ".log"));
    std::stringstream text;
    text << in.rdbuf();
    logs += "[worker " + std::to_string(i) + "]\n" + text.str();
  }
  return logs;
}

json::object WorkerFixture::record(const std::string& job_id) const {
  auto text = redis_.get(redis::keys::record(job_id));
  if (!text)
    return {};
  return json::parse(*text).as_object();
}

std::string WorkerFixture::record_status(const std::string& job_id) const {
  auto stored = record(job_id);
  return stored.contains("status") ? std::string(stored.at("status").as_string()) : "";
}

std::vector<json::object> WorkerFixture::events(const std::string& job_id) const {
  std::vector<json::object> records;
  auto result = redis_.command({"XRANGE", redis::keys::kEventsStream, "-", "+"});
  if (!result.ok() || result.reply->type != REDIS_REPLY_ARRAY)
    return records;
  for (std::size_t i = 0; i < result.reply->elements; ++i) {
    const redisReply* fields = result.reply->element[i]->element[1];
    std::string id;
    std::string text;
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      const std::string_view name(fields->element[f]->str, fields->element[f]->len);
      const std::string value(fields->element[f + 1]->str, fields->element[f + 1]->len);
      if (name == "job_id")
        id = value;
      else if (name == "record")
        text = value;
    }
    if (id == job_id)
      records.push_back(json::parse(text).as_object());
  }
  return records;
}

store::Job WorkerFixture::row(const std::string& job_id) const {
  auto job = store_->get_job(job_id);
  if (!job) {
    ADD_FAILURE() << "no row for " << job_id << ": " << job.error().message;
    return {};
  }
  return *job;
}

bool WorkerFixture::await_status(const std::string& job_id, const std::string& status,
                                 std::chrono::milliseconds timeout) const {
  const bool reached = eventually([&] { return record_status(job_id) == status; }, timeout,
                                  std::chrono::milliseconds(20));
  if (!reached) {
    ADD_FAILURE() << "job " << job_id << " did not reach " << status
                  << "; record: " << json::serialize(record(job_id));
  }
  return reached;
}

std::filesystem::path WorkerFixture::write_script(const std::string& name,
                                                  const std::string& body) const {
  const auto file = path(name);
  std::ofstream(file) << "#!/bin/sh\n" << body;
  std::filesystem::permissions(file, std::filesystem::perms::owner_all);
  return file;
}

}  // namespace headway::test
