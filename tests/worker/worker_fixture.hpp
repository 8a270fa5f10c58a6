#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job_queue.hpp"
#include "store/job_store.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/test_databases.hpp"

namespace headway::test {

// A private redis-server, a job table (the parameter: a SQLite file in a temp
// dir or a fresh PostgreSQL database, see database_backends()), the queue
// library over them, and `headway worker` processes started on demand. Every
// wait is a bounded poll of Redis or the table (`eventually`), never a sleep.
class WorkerFixture : public ::testing::TestWithParam<std::string> {
 protected:
  WorkerFixture() : WorkerFixture(std::vector<std::string>{}) {}
  // `redis_args` go to redis-server (e.g. AOF on, so a restart keeps the data).
  explicit WorkerFixture(std::vector<std::string> redis_args);
  ~WorkerFixture() override;

  // Creates and queues a job as the server would; fails the test on error.
  std::string enqueue(const std::string& type, const std::string& params_json);
  worker::JobResult<worker::CancelOutcome> cancel(const std::string& job_id);

  // Starts `headway worker` with `extra` flags added to --redis/--db.
  ChildProcess start_worker(const std::vector<std::string>& extra = {});
  // Everything the workers started by this fixture have logged.
  std::string worker_logs() const;

  // progress:job:<id>, parsed; an empty object when missing.
  boost::json::object record(const std::string& job_id) const;
  std::string record_status(const std::string& job_id) const;
  // The records of one job on progress:events, oldest first.
  std::vector<boost::json::object> events(const std::string& job_id) const;
  store::Job row(const std::string& job_id) const;

  // Polls until the stored record has `status` (at most `timeout`).
  bool await_status(const std::string& job_id, const std::string& status,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // A file in the fixture's temp dir.
  std::filesystem::path path(const std::string& name) const { return dir_.path() / name; }
  // Writes an executable shell script.
  std::filesystem::path write_script(const std::string& name, const std::string& body) const;

  RedisServer redis_;
  TempDir dir_;
  std::string db_url_;
  std::unique_ptr<store::JobStore> store_;
  std::unique_ptr<redis::Connection> connection_;
  worker::JobCatalog catalog_;
  int workers_started_ = 0;
};

}  // namespace headway::test
