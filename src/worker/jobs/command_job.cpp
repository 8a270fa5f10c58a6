#include "worker/jobs/command_job.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <spdlog/fmt/fmt.h>

#include <chrono>

#include "core/progress_record.hpp"
#include "worker/jobs/progress_line.hpp"
#include "worker/jobs/subprocess.hpp"

namespace headway::worker {
namespace json = boost::json;

namespace {

constexpr std::size_t kStderrTail = 2048;
constexpr std::size_t kMaxLine = 4096;

// Splits a pipe's bytes into lines, keeping at most kMaxLine bytes of each.
class LineBuffer {
 public:
  template <typename OnLine>
  void feed(std::string_view bytes, OnLine&& on_line) {
    for (char c : bytes) {
      if (c == '\n') {
        on_line(std::string_view(line_));
        line_.clear();
      } else if (line_.size() < kMaxLine) {
        line_ += c;
      }
    }
  }
  template <typename OnLine>
  void finish(OnLine&& on_line) {
    if (!line_.empty())
      on_line(std::string_view(line_));
    line_.clear();
  }

 private:
  std::string line_;
};

// The last kStderrTail bytes of the program's stderr, for the error message.
class Tail {
 public:
  void feed(std::string_view bytes) {
    text_.append(bytes);
    if (text_.size() > 2 * kStderrTail)
      text_.erase(0, text_.size() - kStderrTail);
  }
  std::string text() const {
    std::string tail =
        text_.size() > kStderrTail ? text_.substr(text_.size() - kStderrTail) : text_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' '))
      tail.pop_back();
    return tail;
  }

 private:
  std::string text_;
};

void apply_line(Tracker& tracker, const ProgressLine& line) {
  switch (line.kind) {
    case ProgressLine::Kind::stage:
      tracker.start_stage(line.text);
      break;
    case ProgressLine::Kind::count:
      tracker.update_stage_progress(line.completed, line.total);
      break;
    case ProgressLine::Kind::percent: {
      ProgressUpdate update;
      update.stage_progress = line.percent;
      tracker.update(update);
      break;
    }
    case ProgressLine::Kind::message: {
      ProgressUpdate update;
      update.metadata["message"] = line.text;
      tracker.update(update);
      break;
    }
  }
}

// Reads what is available; returns false at end of file.
template <typename OnBytes>
bool drain(int fd, OnBytes&& on_bytes) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      on_bytes(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0)
      return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

}  // namespace

JobOutcome run_command_job(const WorkerConfig& config, JobContext& context) {
  const auto& params = context.params();
  const auto spec_it = config.commands.find(std::string_view(params.at("command").as_string()));
  if (spec_it == config.commands.end())
    return JobOutcome::failed("command is not allowed by this worker's configuration");
  const CommandSpec& spec = spec_it->second;
  auto argv = command_argv(spec, params.at("args").as_object());
  if (!argv)
    return JobOutcome::failed(argv.error().message);

  Tracker& tracker = context.tracker();
  tracker.start_stage(spec.plan[0].name);
  auto started = Subprocess::start(*argv);
  if (!started)
    return JobOutcome::failed(started.error().message);
  Subprocess& process = *started;

  LineBuffer lines;
  Tail stderr_tail;
  auto on_line = [&tracker](std::string_view line) {
    if (auto parsed = parse_progress_line(line))
      apply_line(tracker, *parsed);
  };
  const auto started_at = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> terminated_at;
  bool timed_out = false;
  bool killed = false;
  std::optional<int> status;
  auto read_output = [&] {
    if (process.stdout_fd() >= 0 &&
        !drain(process.stdout_fd(), [&](std::string_view bytes) { lines.feed(bytes, on_line); })) {
      process.close_stdout();
    }
    if (process.stderr_fd() >= 0 &&
        !drain(process.stderr_fd(), [&](std::string_view bytes) { stderr_tail.feed(bytes); })) {
      process.close_stderr();
    }
  };
  while (!status) {
    if (!terminated_at && spec.timeout &&
        std::chrono::steady_clock::now() - started_at >= *spec.timeout) {
      process.signal_group(SIGTERM);
      terminated_at = std::chrono::steady_clock::now();
      timed_out = true;
    }
    if (!terminated_at && context.stop_requested()) {
      process.signal_group(SIGTERM);
      terminated_at = std::chrono::steady_clock::now();
    }
    if (terminated_at && !killed &&
        std::chrono::steady_clock::now() - *terminated_at >= spec.stop_grace) {
      process.signal_group(SIGKILL);
      killed = true;
    }
    pollfd fds[2] = {{process.stdout_fd(), POLLIN, 0}, {process.stderr_fd(), POLLIN, 0}};
    // Bounded so that a stop request and the process's exit are seen promptly
    // even while it prints nothing.
    ::poll(fds, 2, 50);
    read_output();
    status = process.try_wait();
  }
  // What the program wrote before it ended is in the pipes now; read it once
  // more and stop there, so that a background child still holding the pipes
  // open cannot keep a finished job running.
  read_output();
  lines.finish(on_line);
  if (terminated_at && !timed_out)
    return JobOutcome::stopped();
  if (!timed_out && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
    return JobOutcome::completed();
  std::string error = spec.name + ": " +
                      (timed_out ? fmt::format("timed out after {:g} s",
                                               static_cast<double>(spec.timeout->count()) / 1000.0)
                                 : describe_wait_status(*status));
  if (const std::string tail = stderr_tail.text(); !tail.empty())
    error += ": " + tail;
  return JobOutcome::failed(error);
}

}  // namespace headway::worker
