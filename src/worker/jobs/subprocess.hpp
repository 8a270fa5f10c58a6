#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "jobs/job_error.hpp"

namespace headway::worker {

// A program run for a `command` job: its own process group (so a signal
// reaches the children a script starts), stdin from /dev/null, stdout and
// stderr on non-blocking pipes, no inherited descriptors, default signal
// handling (the worker itself blocks SIGTERM for sigwait). Killed with SIGKILL
// and reaped on destruction if still running. Not thread-safe: one owner.
class Subprocess {
 public:
  // Starts argv[0] (an absolute path; no PATH search, no shell).
  static JobResult<Subprocess> start(const std::vector<std::string>& argv);
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  ~Subprocess();

  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  // Signals the whole process group.
  void signal_group(int signo) const;
  // Non-blocking: the wait status once the process has ended.
  std::optional<int> try_wait();
  // Closes a pipe once it reached end of file.
  void close_stdout();
  void close_stderr();

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
};

// "exit status 3", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

}  // namespace headway::worker
