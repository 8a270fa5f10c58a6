#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace headway::test {

// A child process started with posix_spawn; killed (SIGKILL) and reaped on
// destruction if still running.
class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts argv[0] (searched in PATH). Output goes to `log_file` when given;
  // standard error goes there too unless `error_file` is given.
  static ChildProcess spawn(const std::vector<std::string>& argv,
                            const std::filesystem::path& log_file = {},
                            const std::filesystem::path& error_file = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  void signal(int signo) const;
  // Waits for the exit; returns the exit status (128 + signal when killed),
  // or -1 when it did not end within `timeout`.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Non-blocking: the exit status if the process has ended.
  std::optional<int> poll();

 private:
  pid_t pid_ = -1;
};

// What a finished command printed, and how it ended.
struct CommandResult {
  int status = -1;  // the exit status (128 + signal when killed); -1: killed at the timeout
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) to completion: `input` (at most 64 KiB) is
// its standard input, a pipe (so never a terminal) closed after it; `env`
// sets (or replaces) environment variables. Killed after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A loopback TCP port that was free a moment ago.
int free_loopback_port();

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `condition` until it is true, checking every `step`, for at most
// `timeout`; returns its last value. Used to await an outside event (a server
// accepting connections) that offers no notification of its own.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                std::chrono::milliseconds step = std::chrono::milliseconds(10));

template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(step);
  }
  return condition();
}

}  // namespace headway::test
