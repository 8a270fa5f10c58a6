#include "chaos/chaos_cluster.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "redis/keys.hpp"

namespace headway::test {
namespace {

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ChaosScale ChaosScale::from_environment() {
  ChaosScale scale;
  const char* mode = std::getenv("HEADWAY_CHAOS");
  scale.full = mode != nullptr && std::string(mode) == "full";
  if (scale.full) {
    scale.rounds = 3;
    scale.jobs = 40;
    scale.sse_per_job = 20;
    scale.ws_per_job = 3;
    scale.duration_s = 12;
  }
  if (const char* backend = std::getenv("HEADWAY_CHAOS_DB"); backend != nullptr && *backend)
    scale.backend = backend;
  scale.rounds = env_int("HEADWAY_CHAOS_ROUNDS", scale.rounds);
  scale.jobs = env_int("HEADWAY_CHAOS_JOBS", scale.jobs);
  scale.sse_per_job = env_int("HEADWAY_CHAOS_SSE_PER_JOB", scale.sse_per_job);
  scale.ws_per_job = env_int("HEADWAY_CHAOS_WS_PER_JOB", scale.ws_per_job);
  return scale;
}

ChaosCluster::ChaosCluster(const ChaosScale& scale, ClusterOptions options)
    : scale_(scale), options_(options) {
  std::vector<std::string> redis_args;
  if (options_.redis_aof)
    redis_args = {"--appendonly", "yes", "--appendfsync", "everysec"};
  redis_ = std::make_unique<RedisServer>(redis_args);
  if (scale_.backend == "postgres") {
    postgres_ = std::make_unique<PostgresServer>();
    db_url_ = postgres_->create_database("chaos");
  } else {
    db_url_ = "sqlite://" + (dir_.path() / "jobs.db").string();
  }
  for (int i = 0; i < kServers; ++i) {
    // Each server its own recorder consumer, as separate hosts would have.
    servers_.push_back(std::make_unique<ServeProcess>(
        *redis_, std::vector<std::string>{},
        ServeOptions{.db_url = db_url_, .recorder_consumer = "serve-" + std::to_string(i)}));
    server_killed_.push_back(false);
  }
  auto opened = store::open_job_store(db_url_);
  if (!opened)
    throw std::runtime_error("cannot open the job table: " + opened.error().message);
  store_ = std::move(*opened);
  for (int i = 0; i < kWorkers; ++i) {
    workers_.emplace_back();
    worker_killed_.push_back(false);
    start_worker(i);
  }
}

ChaosCluster::~ChaosCluster() {
  stop_all();
}

std::vector<int> ChaosCluster::ports() const {
  std::vector<int> ports;
  for (const auto& server : servers_)
    ports.push_back(server->port());
  return ports;
}

std::vector<std::filesystem::path> ChaosCluster::sqlite_files() const {
  if (postgres_)
    return {};
  const auto db = dir_.path() / "jobs.db";
  return {db, db.string() + "-wal", db.string() + "-shm"};
}

std::filesystem::path ChaosCluster::worker_log(int i) const {
  return dir_.path() / ("worker-" + std::to_string(i) + ".log");
}

void ChaosCluster::start_worker(int i) {
  const char* binary = std::getenv("HEADWAY_BIN");
  if (binary == nullptr)
    throw std::runtime_error("HEADWAY_BIN is not set (run through ctest)");
  // Concurrency for every job of a round, so one worker alone can run them.
  const int concurrency = scale_.jobs + 4;
  workers_[static_cast<std::size_t>(i)] = ChildProcess::spawn(
      {binary, "worker", "--redis", redis_->url(), "--db", db_url_, "--concurrency",
       std::to_string(concurrency), "--reclaim-idle", std::to_string(options_.reclaim_idle_s),
       "--max-attempts", std::to_string(options_.max_attempts), "--grace", "5", "--name",
       "chaos-worker-" + std::to_string(i)},
      worker_log(i));
}

HttpResponse ChaosCluster::post_job(int server, const std::string& body) {
  return http_send(
      servers_[static_cast<std::size_t>(server)]->port(), "POST", "/api/generation-jobs/generate/",
      {{"Authorization", "Bearer " + token()}, {"Content-Type", "application/json"}}, body);
}

std::vector<std::string> ChaosCluster::create_jobs(int count, const std::string& body) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    int server = i % kServers;
    if (!server_alive(server))
      server = (server + 1) % kServers;
    const auto response = post_job(server, body);
    if (response.status != 201) {
      ADD_FAILURE() << "job creation answered " << response.status << ": " << response.body;
      continue;
    }
    ids.emplace_back(boost::json::parse(response.body).as_object().at("id").as_string());
  }
  return ids;
}

std::optional<store::Job> ChaosCluster::row(const std::string& job_id) {
  auto job = store_->get_job(job_id);
  if (!job)
    return std::nullopt;
  return *job;
}

boost::json::object ChaosCluster::record(const std::string& job_id) {
  try {
    auto text = redis_->get(redis::keys::record(job_id));
    if (!text)
      return {};
    boost::system::error_code ec;
    auto value = boost::json::parse(*text, ec);
    return !ec && value.is_object() ? value.as_object() : boost::json::object{};
  } catch (const std::exception&) {
    return {};
  }
}

void ChaosCluster::kill_worker(int i) {
  auto& worker = workers_[static_cast<std::size_t>(i)];
  worker.signal(SIGKILL);
  worker.wait();
  worker_killed_[static_cast<std::size_t>(i)] = true;
}

void ChaosCluster::kill_server(int i) {
  auto& process = servers_[static_cast<std::size_t>(i)]->process();
  process.signal(SIGKILL);
  process.wait();
  server_killed_[static_cast<std::size_t>(i)] = true;
}

void ChaosCluster::restart_server(int i) {
  servers_[static_cast<std::size_t>(i)]->start();
  server_killed_[static_cast<std::size_t>(i)] = false;
}

std::vector<std::string> ChaosCluster::crashed() {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (server_killed_[i])
      continue;
    if (auto status = servers_[i]->process().poll()) {
      exited_.push_back("server " + std::to_string(i) + " exited with status " +
                        std::to_string(*status));
      server_killed_[i] = true;  // reported once
    }
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (worker_killed_[i])
      continue;
    if (auto status = workers_[i].poll()) {
      exited_.push_back("worker " + std::to_string(i) + " exited with status " +
                        std::to_string(*status));
      worker_killed_[i] = true;
    }
  }
  return exited_;
}

std::vector<std::string> ChaosCluster::stop_all() {
  auto failures = crashed();
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (worker_killed_[i] || !workers_[i].running())
      continue;
    workers_[i].signal(SIGTERM);
    if (const int status = workers_[i].wait(std::chrono::seconds(30)); status != 0)
      failures.push_back("worker " + std::to_string(i) + " ended with status " +
                         std::to_string(status) + " on SIGTERM");
    worker_killed_[i] = true;
  }
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (server_killed_[i] || !servers_[i]->process().running())
      continue;
    if (const int status = servers_[i]->terminate(); status != 0)
      failures.push_back("server " + std::to_string(i) + " ended with status " +
                         std::to_string(status) + " on SIGTERM");
    server_killed_[i] = true;
  }
  return failures;
}

std::string ChaosCluster::logs() const {
  std::string text;
  for (std::size_t i = 0; i < servers_.size(); ++i)
    text += "[server " + std::to_string(i) + "]\n" + servers_[i]->log();
  for (int i = 0; i < kWorkers; ++i)
    text += "[worker " + std::to_string(i) + "]\n" + read_file(worker_log(i));
  return text;
}

}  // namespace headway::test
