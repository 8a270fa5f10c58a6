#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

namespace headway::test {
namespace {

namespace fs = std::filesystem;

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kPollInterval = std::chrono::milliseconds(50);

bool has_initdb(const fs::path& dir) {
  std::error_code ec;
  return !dir.empty() && fs::exists(dir / "initdb", ec) && fs::exists(dir / "pg_ctl", ec);
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

// HEADWAY_PG_BINDIR, then `pg_config --bindir`, then the newest Debian-style
// /usr/lib/postgresql/<version>/bin.
fs::path find_bindir() {
  if (const char* env = std::getenv("HEADWAY_PG_BINDIR"); env && has_initdb(env)) {
    return env;
  }
  if (FILE* pipe = popen("pg_config --bindir 2>/dev/null", "r")) {
    std::array<char, 512> buffer{};
    std::string out;
    while (fgets(buffer.data(), buffer.size(), pipe)) {
      out += buffer.data();
    }
    pclose(pipe);
    if (fs::path dir = trimmed(out); has_initdb(dir)) {
      return dir;
    }
  }
  std::vector<std::pair<int, fs::path>> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (has_initdb(bin)) {
      candidates.emplace_back(std::atoi(entry.path().filename().c_str()), bin);
    }
  }
  if (candidates.empty()) {
    throw std::runtime_error(
        "PostgreSQL server binaries not found (tried $HEADWAY_PG_BINDIR, pg_config --bindir, "
        "/usr/lib/postgresql/*/bin); install postgresql to run these tests");
  }
  std::sort(candidates.begin(), candidates.end());
  return candidates.back().second;
}

std::string tail_of(const fs::path& file, std::size_t max_chars = 4000) {
  std::ifstream in(file);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  return text.size() > max_chars ? text.substr(text.size() - max_chars) : text;
}

// Connects and runs one statement; returns the error text, empty on success.
std::string try_sql(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(result);
    }
    PQclear(result);
  }
  PQfinish(conn);
  return error.empty() ? std::string() : trimmed(error) + " ";
}

}  // namespace

PostgresServer::PostgresServer() {
  bindir_ = find_bindir();
  // As root the server runs as `postgres`, which must be able to reach the
  // directory: /tmp is world-traversable, a root TMPDIR may not be.
  const fs::path base = geteuid() == 0 ? fs::path("/tmp") : fs::temp_directory_path();
  std::string pattern = (base / "headway-pg-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    throw std::runtime_error("mkdtemp failed under " + base.string());
  }
  root_ = pattern;
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (!user) {
      fs::remove_all(root_);
      throw std::runtime_error("running as root but there is no `postgres` user to run initdb as");
    }
    if (chown(root_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      fs::remove_all(root_);
      throw std::runtime_error("could not chown " + root_.string() + " to postgres");
    }
  }
  try {
    run_as_server_user({(bindir_ / "initdb").string(), "-D", (root_ / "data").string(), "-U",
                        "headway", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"});
    port_ = free_loopback_port();
    start();
  } catch (...) {
    if (running_) {
      stop();
    }
    fs::remove_all(root_);
    throw;
  }
}

PostgresServer::~PostgresServer() {
  if (running_) {
    try {
      run_as_server_user({(bindir_ / "pg_ctl").string(), "stop", "-D", (root_ / "data").string(),
                          "-m", "immediate", "-w"});
    } catch (const std::exception&) {
      // Removing the directory below still frees the disk space; the
      // postmaster notices its data directory is gone and exits.
    }
  }
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgres://headway@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database(const std::string& name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
  if (!plain) {
    throw std::invalid_argument("database names here are [a-z0-9_]+: " + name);
  }
  if (auto error = try_sql(url("postgres"), "CREATE DATABASE " + name); !error.empty()) {
    throw std::runtime_error("CREATE DATABASE " + name + " failed: " + error);
  }
  return url(name);
}

void PostgresServer::start() {
  const std::string options = "-p " + std::to_string(port_) + " -k " + root_.string() +
                              " -c listen_addresses=127.0.0.1 -c fsync=off";
  // -W: return at once; readiness is judged below by a real connection.
  run_as_server_user({(bindir_ / "pg_ctl").string(), "start", "-W", "-D", (root_ / "data").string(),
                      "-l", (root_ / "server.log").string(), "-o", options});
  running_ = true;
  wait_until_accepting_connections();
}

void PostgresServer::stop() {
  run_as_server_user({(bindir_ / "pg_ctl").string(), "stop", "-D", (root_ / "data").string(), "-m",
                      "fast", "-w", "-t", "60"});
  running_ = false;
}

void PostgresServer::wait_until_accepting_connections() {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    last_error = try_sql(url("postgres") + "?connect_timeout=2", "SELECT 1");
    if (last_error.empty()) {
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  throw std::runtime_error("PostgreSQL on port " + std::to_string(port_) +
                           " did not accept connections within 30 s: " + last_error +
                           "\nserver log:\n" + tail_of(root_ / "server.log"));
}

// Runs a PostgreSQL program to completion, as the `postgres` user when we are
// root (initdb and postgres refuse to run as root). Output goes to
// commands.log, which is quoted when the program fails.
void PostgresServer::run_as_server_user(const std::vector<std::string>& argv) {
  const fs::path log = root_ / "commands.log";
  std::vector<char*> args;
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);

  uid_t uid = 0;
  gid_t gid = 0;
  const bool drop_root = geteuid() == 0;
  if (drop_root) {
    const passwd* user = getpwnam("postgres");
    if (!user) {
      throw std::runtime_error("no `postgres` user");
    }
    uid = user->pw_uid;
    gid = user->pw_gid;
  }
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + log.string());
  }

  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
    }
    if (chdir(root_.c_str()) != 0) {
      _exit(126);
    }
    if (drop_root && (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
      _exit(126);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed (status " +
                             std::to_string(status) + "):\n" + tail_of(log) + "\nserver log:\n" +
                             tail_of(root_ / "server.log"));
  }
}

}  // namespace headway::test
