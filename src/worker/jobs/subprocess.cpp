#include "worker/jobs/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace headway::worker {

namespace {

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

}  // namespace

JobResult<Subprocess> Subprocess::start(const std::vector<std::string>& argv) {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    const std::string reason = std::strerror(errno);
    close_fd(out[0]), close_fd(out[1]), close_fd(err[0]), close_fd(err[1]);
    return JobError{JobError::Code::internal, {}, "cannot create pipes: " + reason};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // Redis and database sockets must not leak into the program.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  Subprocess process;
  const int rc = ::posix_spawn(&process.pid_, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    process.pid_ = -1;
    close_fd(out[0]);
    close_fd(err[0]);
    return JobError{
        JobError::Code::internal, {}, "cannot start " + argv[0] + ": " + std::strerror(rc)};
  }
  process.stdout_fd_ = out[0];
  process.stderr_fd_ = err[0];
  ::fcntl(process.stdout_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(process.stderr_fd_, F_SETFL, O_NONBLOCK);
  return process;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(other.pid_), stdout_fd_(other.stdout_fd_), stderr_fd_(other.stderr_fd_) {
  other.pid_ = -1;
  other.stdout_fd_ = -1;
  other.stderr_fd_ = -1;
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    signal_group(SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

void Subprocess::signal_group(int signo) const {
  if (pid_ > 0)
    ::kill(-pid_, signo);
}

std::optional<int> Subprocess::try_wait() {
  if (pid_ <= 0)
    return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_)
    return std::nullopt;
  pid_ = -1;
  return status;
}

void Subprocess::close_stdout() {
  close_fd(stdout_fd_);
}
void Subprocess::close_stderr() {
  close_fd(stderr_fd_);
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status))
    return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::strsignal(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? " (" + std::string(name) + ")" : std::string());
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace headway::worker
