#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/server_fixture.hpp"
#include "store/job_store.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

// The chaos suite's cluster: one real redis-server, two `headway serve` and
// two `headway worker` processes on loopback sharing one job table (a SQLite
// file, or a database in a private PostgreSQL cluster), with the faults the
// suite injects into them.
namespace headway::test {

// How big a run is: the bounded run (CI) or the full one (HEADWAY_CHAOS=full).
struct ChaosScale {
  bool full = false;
  std::string backend = "sqlite";  // HEADWAY_CHAOS_DB: sqlite or postgres
  int rounds = 1;                  // faults of each kind, one after another
  int jobs = 20;                   // per round
  int sse_per_job = 12;
  int ws_per_job = 2;
  double duration_s = 10;  // of each timetable job

  static ChaosScale from_environment();
};

struct ClusterOptions {
  bool redis_aof = false;  // appendonly yes (else --save '' --appendonly no)
  int reclaim_idle_s = 4;  // the workers' --reclaim-idle (lease ¾ of it)
  int max_attempts = 4;
};

class ChaosCluster {
 public:
  static constexpr int kServers = 2;
  static constexpr int kWorkers = 2;

  ChaosCluster(const ChaosScale& scale, ClusterOptions options);
  ~ChaosCluster();
  ChaosCluster(const ChaosCluster&) = delete;
  ChaosCluster& operator=(const ChaosCluster&) = delete;

  RedisServer& redis() { return *redis_; }
  ServeProcess& server(int i) { return *servers_[static_cast<std::size_t>(i)]; }
  std::vector<int> ports() const;
  const std::string& token() const { return servers_.front()->token(); }
  const std::string& db_url() const { return db_url_; }
  PostgresServer* postgres() { return postgres_.get(); }
  // The SQLite file and its -wal/-shm companions (empty on PostgreSQL).
  std::vector<std::filesystem::path> sqlite_files() const;

  // POST /api/generation-jobs/generate/ with `body` on server `server`.
  HttpResponse post_job(int server, const std::string& body);
  // `count` jobs, round robin over the servers; a refused one fails the test.
  std::vector<std::string> create_jobs(int count, const std::string& body);

  // The row of a job; nullopt when the table cannot answer.
  std::optional<store::Job> row(const std::string& job_id);
  // The record in Redis; an empty object when missing or unreadable.
  boost::json::object record(const std::string& job_id);

  // kill -9 of one process; it then counts as killed on purpose.
  void kill_worker(int i);
  void kill_server(int i);
  // Starts a killed server again on its port (waits until healthy).
  void restart_server(int i);
  bool server_alive(int i) const { return !server_killed_[static_cast<std::size_t>(i)]; }

  // Processes that exited without being killed on purpose, with their status.
  std::vector<std::string> crashed();
  // SIGTERM to every live worker and server; the processes whose exit status
  // was not 0, with it.
  std::vector<std::string> stop_all();
  std::string logs() const;

 private:
  void start_worker(int i);
  std::filesystem::path worker_log(int i) const;

  ChaosScale scale_;
  ClusterOptions options_;
  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<PostgresServer> postgres_;
  std::string db_url_;
  std::unique_ptr<store::JobStore> store_;
  std::vector<std::unique_ptr<ServeProcess>> servers_;
  std::vector<ChildProcess> workers_;
  std::vector<bool> server_killed_;
  std::vector<bool> worker_killed_;
  std::vector<std::string> exited_;  // what crashed() found, kept for stop_all()
};

}  // namespace headway::test
