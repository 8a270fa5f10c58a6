// The chaos suite: a real redis-server, two `headway serve` and two `headway
// worker` processes sharing one job table, under load (tens of jobs, hundreds
// of SSE and some WebSocket streams), and one fault per test case. After each
// fault: every job ends in the job table within a stated bound, every stream
// gets `done` with seq strictly increasing, no process crashed, and the
// servers' connection gauges and memory return to baseline once the clients
// leave. See docs/reliability.md; HEADWAY_CHAOS=full runs the larger version.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "chaos/chaos_cluster.hpp"
#include "chaos/stream_fleet.hpp"

namespace headway::test {
namespace {

using namespace std::chrono_literals;

// Outcome bounds, generous on purpose: they tell "ended" from "stuck", not
// fast from slow.
constexpr auto kJobBound = 120s;          // every job terminal, counted from the end of the fault
constexpr auto kStreamBound = 60s;        // every stream `done`, once its job is terminal
constexpr auto kGaugeBound = 30s;         // gauges back to baseline once the clients left
constexpr auto kSetupBound = 60s;         // streams connected, jobs running, health back
constexpr long kRssSlackKib = 16 * 1024;  // memory a server may keep after a round

// Figures of one test case, summed over its rounds, for the report.
struct Figures {
  std::string fault;
  int rounds = 0;
  int jobs = 0;
  int completed = 0;
  int failed = 0;  // terminal but not completed
  int not_terminal = 0;
  int reruns = 0;  // jobs that took more than one attempt
  std::size_t streams = 0;
  std::size_t streams_done = 0;
  int reconnects = 0;
  std::uint64_t events = 0;
  std::uint64_t seq_violations = 0;
  std::vector<std::string> lost;  // what did not hold, in words
};

std::mutex report_mutex;
std::vector<Figures> report;

// Prints every test case's figures at the end of the program.
class ReportPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    const auto scale = ChaosScale::from_environment();
    std::ostringstream out;
    out << "\nchaos report (" << (scale.full ? "full" : "bounded") << ", " << scale.backend
        << " job table, " << scale.rounds << " round(s) per fault)\n";
    out << std::left << std::setw(34) << "fault" << std::right << std::setw(7) << "rounds"
        << std::setw(6) << "jobs" << std::setw(6) << "done" << std::setw(7) << "failed"
        << std::setw(7) << "stuck" << std::setw(7) << "reruns" << std::setw(9) << "streams"
        << std::setw(7) << "ended" << std::setw(8) << "reconn" << std::setw(9) << "events"
        << std::setw(6) << "seq!"
        << "\n";
    std::lock_guard lock(report_mutex);
    for (const auto& f : report) {
      out << std::left << std::setw(34) << f.fault << std::right << std::setw(7) << f.rounds
          << std::setw(6) << f.jobs << std::setw(6) << f.completed << std::setw(7) << f.failed
          << std::setw(7) << f.not_terminal << std::setw(7) << f.reruns << std::setw(9) << f.streams
          << std::setw(7) << f.streams_done << std::setw(8) << f.reconnects << std::setw(9)
          << f.events << std::setw(6) << f.seq_violations << "\n";
    }
    for (const auto& f : report) {
      for (const auto& what : f.lost)
        out << "  lost (" << f.fault << "): " << what << "\n";
    }
    std::cout << out.str() << std::flush;
  }
};

const auto* const report_printer = ::testing::AddGlobalTestEnvironment(new ReportPrinter);

std::string timetable_body(double duration_s) {
  std::ostringstream body;
  body << R"({"type":"timetable","params":{"clusters":40,"duration_s":)" << duration_s << "}}";
  return body.str();
}

int health_status(int port) {
  try {
    return http_get(port, "/api/generation/health/").status;
  } catch (const std::exception&) {
    return 0;
  }
}

struct ServerBaseline {
  double connections = 0;
  long rss_kib = 0;
};

ServerBaseline measure(ServeProcess& server) {
  ServerBaseline baseline;
  try {
    baseline.connections =
        metric(http_get(server.port(), "/metrics").body, "headway_connections_open");
  } catch (const std::exception&) {
  }
  baseline.rss_kib = rss_kib(server.pid());
  return baseline;
}

// Open streams over every live server, by their gauges.
double active_streams(ChaosCluster& cluster) {
  double total = 0;
  for (int i = 0; i < ChaosCluster::kServers; ++i) {
    if (!cluster.server_alive(i))
      continue;
    try {
      const auto text = http_get(cluster.server(i).port(), "/metrics").body;
      total += metric(text, "headway_streams_active{transport=\"sse\"}") +
               metric(text, "headway_streams_active{transport=\"websocket\"}");
    } catch (const std::exception&) {
    }
  }
  return total;
}

std::string describe(const store::Job& job) {
  std::ostringstream text;
  text << job.id << " " << to_string(job.status) << " at " << job.overall_progress << "% attempts "
       << job.attempts << (job.error.empty() ? "" : " error: " + job.error);
  return text.str();
}

// What a fault does to the cluster and what the round may then expect.
struct Fault {
  std::string name;
  // Returns once the fault is over; notes in Figures::lost what did not hold.
  std::function<void(ChaosCluster&, Figures&)> inject;
  bool servers_die = false;        // streams may lose their connection and resume elsewhere
  bool table_survives = true;      // false: job ends are read from Redis instead
  bool new_jobs_after = true;      // jobs created once the fault is over must be accepted
  bool single_attempt = false;     // the fault is shorter than a lease: no job re-runs
  bool cluster_per_round = false;  // the fault leaves the cluster unusable
  bool reruns = false;             // some jobs must have run again (their worker died)
  double job_duration_s = 0;       // 0: the scale's
};

class ChaosTest : public ::testing::Test {
 protected:
  ChaosScale scale_ = ChaosScale::from_environment();

  std::vector<FleetStream> streams_for(const std::vector<std::string>& ids) const {
    std::vector<FleetStream> streams;
    std::size_t k = 0;
    for (const auto& id : ids) {
      for (int i = 0; i < scale_.sse_per_job; ++i, ++k)
        streams.push_back({id, false, k % ChaosCluster::kServers});
      for (int i = 0; i < scale_.ws_per_job; ++i, ++k)
        streams.push_back({id, true, k % ChaosCluster::kServers});
    }
    return streams;
  }

  // The fault lands mid-job: every job's record says running with at least
  // `progress` percent (or, on a slow machine, already ended), and most run.
  bool await_running(ChaosCluster& cluster, const std::vector<std::string>& ids, double progress) {
    return eventually(
        [&] {
          std::size_t running = 0;
          for (const auto& id : ids) {
            const auto record = cluster.record(id);
            const auto* status = record.if_contains("status");
            const auto* overall = record.if_contains("overall_progress");
            if (status == nullptr || overall == nullptr || !status->is_string())
              return false;
            const auto parsed = parse_job_status(status->as_string());
            if (parsed && is_terminal(*parsed))
              continue;
            if (parsed != JobStatus::running || overall->to_number<double>() < progress)
              return false;
            ++running;
          }
          return running * 2 > ids.size();
        },
        kSetupBound, 100ms);
  }

  // Every job terminal (in the table, or in Redis when the table is gone).
  bool await_terminal(ChaosCluster& cluster, const std::vector<std::string>& ids, bool in_table) {
    return eventually(
        [&] {
          for (const auto& id : ids) {
            if (in_table) {
              const auto row = cluster.row(id);
              if (!row || !is_terminal(row->status))
                return false;
            } else {
              const auto record = cluster.record(id);
              const auto* status = record.if_contains("status");
              const auto parsed = status != nullptr && status->is_string()
                                      ? parse_job_status(status->as_string())
                                      : std::nullopt;
              if (!parsed || !is_terminal(*parsed))
                return false;
            }
          }
          return true;
        },
        kJobBound, 250ms);
  }

  // Servers' gauges back to the baseline, RSS within the slack, no stream
  // left open.
  void expect_back_to_baseline(ChaosCluster& cluster, const std::vector<ServerBaseline>& before,
                               const std::vector<bool>& restarted, Figures& figures) {
    for (int i = 0; i < ChaosCluster::kServers; ++i) {
      if (!cluster.server_alive(i))
        continue;
      auto& server = cluster.server(i);
      std::string metrics;
      const bool back = eventually(
          [&] {
            try {
              metrics = http_get(server.port(), "/metrics").body;
            } catch (const std::exception&) {
              return false;
            }
            return metric(metrics, "headway_streams_active{transport=\"sse\"}") == 0 &&
                   metric(metrics, "headway_streams_active{transport=\"websocket\"}") == 0 &&
                   metric(metrics, "headway_connections_open") <= before[i].connections;
          },
          kGaugeBound, 100ms);
      EXPECT_TRUE(back) << "server " << i << " gauges did not return to baseline (connections "
                        << before[i].connections << "): streams sse "
                        << metric(metrics, "headway_streams_active{transport=\"sse\"}")
                        << ", websocket "
                        << metric(metrics, "headway_streams_active{transport=\"websocket\"}")
                        << ", connections " << metric(metrics, "headway_connections_open");
      if (!back)
        figures.lost.push_back("server " + std::to_string(i) + " gauges stayed above baseline");
      if (!restarted[static_cast<std::size_t>(i)]) {
        const long rss = rss_kib(server.pid());
        EXPECT_LE(rss, before[i].rss_kib + kRssSlackKib)
            << "server " << i << " RSS " << rss << " KiB after the round, " << before[i].rss_kib
            << " KiB before";
      }
    }
  }

  // Opens the fleet's streams and waits until every one is connected and
  // counted by the servers' gauges.
  void open_streams(ChaosCluster& cluster, StreamFleet& fleet) {
    fleet.start();
    EXPECT_TRUE(eventually([&] { return fleet.connected() == fleet.size(); }, kSetupBound, 50ms))
        << fleet.connected() << " of " << fleet.size() << " streams connected";
    // The gauges count what is open (so their return to baseline means something).
    EXPECT_TRUE(
        eventually([&] { return active_streams(cluster) == static_cast<double>(fleet.size()); },
                   kSetupBound, 100ms))
        << "the servers count " << active_streams(cluster) << " streams, the fleet holds "
        << fleet.size();
  }

  // Once every server is healthy again, the first job created on each must
  // be accepted; returns the ids of those accepted.
  std::vector<std::string> create_jobs_after(ChaosCluster& cluster, const Fault& fault,
                                             Figures& figures) {
    std::vector<std::string> ids;
    for (int i = 0; i < ChaosCluster::kServers; ++i) {
      if (!cluster.server_alive(i))
        continue;
      const int port = cluster.server(i).port();
      EXPECT_TRUE(eventually([&] { return health_status(port) == 200; }, kSetupBound, 100ms))
          << "server " << i << " never healthy again after " << fault.name;
      const auto response = cluster.post_job(i, timetable_body(1));
      EXPECT_EQ(response.status, 201)
          << "server " << i << ", the first job after " << fault.name << ": " << response.body;
      if (response.status == 201) {
        ids.emplace_back(boost::json::parse(response.body).as_object().at("id").as_string());
      } else {
        figures.lost.push_back("server " + std::to_string(i) + " refused the first new job (" +
                               std::to_string(response.status) + " " + response.body + ")");
      }
    }
    return ids;
  }

  // Counts how the jobs ended (from the table, or from Redis when the table
  // is gone) and checks their attempts; returns how many ran more than once.
  int tally_jobs(ChaosCluster& cluster, const Fault& fault, const std::vector<std::string>& ids,
                 const std::vector<std::string>& late_ids, Figures& figures) {
    int reruns = 0;
    std::vector<std::string> all_ids = ids;
    all_ids.insert(all_ids.end(), late_ids.begin(), late_ids.end());
    figures.jobs += static_cast<int>(all_ids.size());
    for (const auto& id : all_ids) {
      if (!fault.table_survives) {
        const auto record = cluster.record(id);
        const auto* status = record.if_contains("status");
        const std::string text = status != nullptr && status->is_string()
                                     ? std::string(status->as_string())
                                     : std::string("missing");
        if (text == "completed") {
          ++figures.completed;
        } else if (text == "failed" || text == "cancelled") {
          ++figures.failed;
        } else {
          ++figures.not_terminal;
          figures.lost.push_back("job " + id + " " + text + " in Redis");
        }
        continue;
      }
      const auto row = cluster.row(id);
      if (!row) {
        ++figures.not_terminal;
        figures.lost.push_back("job " + id + ": no row");
        continue;
      }
      if (row->attempts > 1)
        ++reruns;
      if (row->status == JobStatus::completed) {
        ++figures.completed;
      } else if (is_terminal(row->status)) {
        ++figures.failed;
        figures.lost.push_back("job " + describe(*row));
      } else {
        ++figures.not_terminal;
        figures.lost.push_back("job stuck: " + describe(*row));
        ADD_FAILURE() << "job stuck: " << describe(*row);
      }
      const bool original = std::find(ids.begin(), ids.end(), id) != ids.end();
      if (fault.single_attempt && original && row->attempts != 1) {
        ADD_FAILURE() << "the fault was shorter than a lease, yet: " << describe(*row);
        figures.lost.push_back("an attempt, to an outage shorter than a lease: " + describe(*row));
      }
    }
    figures.reruns += reruns;
    return reruns;
  }

  // Every stream got `done` with seq strictly increasing; where no server
  // died, none lost its connection.
  void check_streams(const StreamFleet& fleet, bool servers_die, Figures& figures) {
    int missing_done = 0;
    int dropped = 0;
    for (const auto& outcome : fleet.outcomes()) {
      figures.streams += 1;
      figures.streams_done += outcome.done_status ? 1 : 0;
      figures.reconnects += outcome.reconnects;
      figures.events += outcome.progress_events;
      figures.seq_violations += outcome.not_increasing;
      EXPECT_EQ(outcome.not_increasing, 0u)
          << (outcome.websocket ? "WebSocket" : "SSE") << " stream of " << outcome.job_id
          << " got a seq that was not above the last";
      if (!outcome.done_status)
        ++missing_done;
      if (!servers_die && outcome.reconnects > 0)
        ++dropped;
    }
    EXPECT_EQ(missing_done, 0) << "streams without done";
    EXPECT_EQ(dropped, 0) << "streams lost their connection although no server died";
    if (missing_done > 0)
      figures.lost.push_back(std::to_string(missing_done) + " streams never got done");
    if (dropped > 0)
      figures.lost.push_back(std::to_string(dropped) + " streams dropped by a live server");
  }

  // One round: jobs and streams, the fault, then every check.
  void run_round(ChaosCluster& cluster, const Fault& fault, Figures& figures) {
    std::vector<ServerBaseline> before;
    std::vector<pid_t> pids;
    for (int i = 0; i < ChaosCluster::kServers; ++i) {
      before.push_back(measure(cluster.server(i)));
      pids.push_back(cluster.server(i).pid());
    }
    const double duration = fault.job_duration_s > 0 ? fault.job_duration_s : scale_.duration_s;
    auto ids = cluster.create_jobs(scale_.jobs, timetable_body(duration));
    ASSERT_EQ(static_cast<int>(ids.size()), scale_.jobs);
    StreamFleet fleet({.ports = cluster.ports(), .token = cluster.token()}, streams_for(ids));
    open_streams(cluster, fleet);
    EXPECT_TRUE(await_running(cluster, ids, 15)) << "the jobs never all ran";

    fault.inject(cluster, figures);
    // A server started again during the fault has a baseline of its own.
    std::vector<bool> restarted(ChaosCluster::kServers, false);
    for (int i = 0; i < ChaosCluster::kServers; ++i) {
      const auto index = static_cast<std::size_t>(i);
      if (cluster.server_alive(i) && cluster.server(i).pid() != pids[index]) {
        restarted[index] = true;
        before[index] = measure(cluster.server(i));
      }
    }
    const auto late_ids = fault.new_jobs_after ? create_jobs_after(cluster, fault, figures)
                                               : std::vector<std::string>{};

    std::vector<std::string> all_ids = ids;
    all_ids.insert(all_ids.end(), late_ids.begin(), late_ids.end());
    EXPECT_TRUE(await_terminal(cluster, all_ids, fault.table_survives))
        << "not every job ended within " << std::chrono::duration<double>(kJobBound).count()
        << " s";
    EXPECT_TRUE(eventually([&] { return fleet.finished() == fleet.size(); }, kStreamBound, 100ms))
        << fleet.done() << " of " << fleet.size() << " streams got done";
    fleet.stop();

    figures.rounds += 1;
    const int reruns = tally_jobs(cluster, fault, ids, late_ids, figures);
    if (fault.reruns) {
      EXPECT_GT(reruns, 0) << "no job ran a second time: the fault missed the running jobs";
    }
    check_streams(fleet, fault.servers_die, figures);
    expect_back_to_baseline(cluster, before, restarted, figures);
    const auto crashed = cluster.crashed();
    EXPECT_TRUE(crashed.empty()) << ::testing::PrintToString(crashed);
  }

  void run(const Fault& fault, ClusterOptions options) {
    Figures figures;
    figures.fault = fault.name;
    std::unique_ptr<ChaosCluster> cluster;
    for (int round = 0; round < scale_.rounds && !HasFatalFailure(); ++round) {
      if (!cluster || fault.cluster_per_round)
        cluster = std::make_unique<ChaosCluster>(scale_, options);
      run_round(*cluster, fault, figures);
      if (fault.cluster_per_round || round + 1 == scale_.rounds) {
        const auto failures = cluster->stop_all();
        EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
        if (HasFailure())
          print_log_tails(*cluster);
      }
    }
    std::lock_guard lock(report_mutex);
    report.push_back(std::move(figures));
  }

  static void print_log_tails(const ChaosCluster& cluster) {
    const std::string logs = cluster.logs();
    constexpr std::size_t kTail = 12000;
    std::cerr << "---- cluster logs (tail) ----\n"
              << (logs.size() > kTail ? logs.substr(logs.size() - kTail) : logs) << "\n";
  }
};

// Pauses the test for the length of a fault (the fault is the waiting).
void hold_fault(std::chrono::milliseconds length) {
  std::this_thread::sleep_for(length);
}

TEST_F(ChaosTest, RedisKilledWithAppendOnlyFileLosesNothing) {
  // The outage (10 s) is shorter than a lease (22.5 s, the default
  // --reclaim-idle 30): it must cost no attempt. The jobs outlast it.
  run({.name = "redis kill -9 (AOF) 10 s",
       .inject =
           [](ChaosCluster& cluster, Figures&) {
             cluster.redis().kill();
             hold_fault(10s);
             cluster.redis().start();
           },
       .single_attempt = true,
       .job_duration_s = 25},
      {.redis_aof = true, .reclaim_idle_s = 30});
}

TEST_F(ChaosTest, RedisKilledWithoutPersistenceEndsEveryJob) {
  run({.name = "redis kill -9 (no persistence)",
       .inject =
           [](ChaosCluster& cluster, Figures&) {
             cluster.redis().kill();
             hold_fault(3s);
             cluster.redis().start();  // empty: no queue, no leases, no records
           }},
      {.redis_aof = false, .reclaim_idle_s = 4});
}

TEST_F(ChaosTest, RedisHungLongerThanItsTimeoutsEndsEveryJob) {
  // 8 s: past the servers' --redis-timeout (2 s) and the workers' lease (3 s).
  run({.name = "redis SIGSTOP 8 s",
       .inject =
           [](ChaosCluster& cluster, Figures&) {
             ::kill(cluster.redis().pid(), SIGSTOP);
             hold_fault(8s);
             ::kill(cluster.redis().pid(), SIGCONT);
           }},
      {.redis_aof = false, .reclaim_idle_s = 4});
}

TEST_F(ChaosTest, WorkerKilledMidJobHasItsJobsRunElsewhere) {
  run({.name = "worker kill -9",
       .inject = [](ChaosCluster& cluster, Figures&) { cluster.kill_worker(0); },
       .new_jobs_after = false,
       .reruns = true},
      {.reclaim_idle_s = 4});
}

TEST_F(ChaosTest, ServerKilledHasItsClientsResumeOnTheOther) {
  run({.name = "server kill -9",
       .inject =
           [](ChaosCluster& cluster, Figures&) {
             cluster.kill_server(0);
             // Its clients move to server 1; it comes back for the next round.
             hold_fault(2s);
             cluster.restart_server(0);
           },
       .servers_die = true},
      {.reclaim_idle_s = 4});
}

TEST_F(ChaosTest, JobTableLostIsNoticed) {
  const bool postgres = scale_.backend == "postgres";
  Fault fault;
  fault.name = postgres ? "postgres stopped 5 s" : "sqlite file removed";
  if (postgres) {
    fault.inject = [](ChaosCluster& cluster, Figures&) {
      cluster.postgres()->stop();
      hold_fault(5s);
      cluster.postgres()->start();
    };
  } else {
    // The job table is gone for good: the servers must say so (health 503),
    // while the streams, which live on Redis, still end.
    fault.inject = [](ChaosCluster& cluster, Figures& figures) {
      for (const auto& file : cluster.sqlite_files())
        std::filesystem::remove(file);
      for (int i = 0; i < ChaosCluster::kServers; ++i) {
        const int port = cluster.server(i).port();
        const bool noticed =
            eventually([&] { return health_status(port) == 503; }, kSetupBound, 100ms);
        EXPECT_TRUE(noticed) << "server " << i << " still healthy with its SQLite file removed";
        if (!noticed)
          figures.lost.push_back("server " + std::to_string(i) +
                                 " stayed healthy with its SQLite file removed");
      }
    };
    fault.table_survives = false;
    fault.new_jobs_after = false;
    fault.cluster_per_round = true;
  }
  run(fault, {.reclaim_idle_s = 4});
}

// Every job completes in the same instant (one MULTI/EXEC of terminal
// records): every stream still gets `done`, the recorder folds every end.
TEST_F(ChaosTest, BurstOfSimultaneousCompletionsReachesEveryStream) {
  Figures figures;
  figures.fault = "burst of completions";
  ChaosCluster cluster(scale_, {});
  Fault burst;  // only what tally_jobs reads: the table survives
  burst.name = figures.fault;
  for (int round = 0; round < scale_.rounds && !HasFatalFailure(); ++round) {
    std::vector<ServerBaseline> before;
    for (int i = 0; i < ChaosCluster::kServers; ++i)
      before.push_back(measure(cluster.server(i)));
    auto ids = cluster.create_jobs(scale_.jobs * 2, R"({"type":"external","params":{}})");
    ASSERT_EQ(static_cast<int>(ids.size()), scale_.jobs * 2);
    StreamFleet fleet({.ports = cluster.ports(), .token = cluster.token()}, streams_for(ids));
    open_streams(cluster, fleet);
    RecordWriter writer(cluster.redis());
    for (const auto& id : ids) {
      writer.write(make_record(id, 2, JobStatus::running, 10), true);
      writer.write(make_record(id, 3, JobStatus::running, 50));
    }
    EXPECT_TRUE(eventually(
        [&] {
          for (const auto& outcome : fleet.outcomes()) {
            if (outcome.last_seq < 3)
              return false;
          }
          return true;
        },
        kSetupBound, 50ms))
        << "not every stream saw the running records";
    std::vector<ProgressRecord> ends;
    for (const auto& id : ids) {
      auto end = make_record(id, 4, JobStatus::completed, 100);
      end.eta_seconds = 0;
      ends.push_back(end);
    }
    writer.write_together(ends, true);
    EXPECT_TRUE(await_terminal(cluster, ids, true)) << "the recorder did not fold every end";
    EXPECT_TRUE(eventually([&] { return fleet.finished() == fleet.size(); }, kStreamBound, 100ms))
        << fleet.done() << " of " << fleet.size() << " streams got done";
    fleet.stop();
    figures.rounds += 1;
    tally_jobs(cluster, burst, ids, {}, figures);
    EXPECT_EQ(figures.completed, figures.jobs) << "every job of the burst completed";
    for (const auto& outcome : fleet.outcomes())
      EXPECT_EQ(outcome.done_status.value_or("none"), "completed") << outcome.job_id;
    check_streams(fleet, false, figures);
    expect_back_to_baseline(cluster, before, {false, false}, figures);
    EXPECT_TRUE(cluster.crashed().empty());
  }
  const auto failures = cluster.stop_all();
  EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
  std::lock_guard lock(report_mutex);
  report.push_back(std::move(figures));
}

}  // namespace
}  // namespace headway::test
