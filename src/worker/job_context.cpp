#include "worker/job_context.hpp"

#include <algorithm>

namespace headway::worker {

void StopSignal::request(std::string reason) {
  {
    std::lock_guard lock(mutex_);
    if (!requested_.load(std::memory_order_relaxed)) {
      reason_ = std::move(reason);
      requested_.store(true, std::memory_order_release);
    }
  }
  changed_.notify_all();
}

std::string StopSignal::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

bool StopSignal::wait_for(std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return requested(); });
}

bool JobContext::sleep_for(std::chrono::duration<double> duration) const {
  // The worker's stop wakes the wait at once; the Tracker's cancel flag has
  // no notification, so it is looked at every 50 ms.
  constexpr std::chrono::milliseconds kSlice{50};
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
  while (!stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return true;
    stop_.wait_for(std::min<std::chrono::nanoseconds>(deadline - now, kSlice));
  }
  return false;
}

}  // namespace headway::worker
