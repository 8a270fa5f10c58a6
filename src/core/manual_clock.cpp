#include "headway/manual_clock.hpp"

#include <algorithm>

namespace headway {

double ManualClock::now() const {
  std::lock_guard guard(mutex_);
  return now_;
}

void ManualClock::wait_until(std::condition_variable& wakeup, std::unique_lock<std::mutex>& lock,
                             double deadline) const {
  std::unique_lock guard(mutex_);
  if (deadline <= now_)
    return;
  const std::uint64_t id = next_waiter_++;
  waiters_.push_back({id, &wakeup, lock.mutex(), deadline});
  parked_.notify_all();
  guard.unlock();
  // advance() notifies while holding the waiter's mutex, which `lock` keeps
  // until wait() releases it: no wakeup falls between the check and the wait.
  wakeup.wait(lock);
  guard.lock();
  std::erase_if(waiters_, [id](const Waiter& waiter) { return waiter.id == id; });
}

void ManualClock::advance(double seconds) {
  std::vector<Waiter> due;
  {
    std::lock_guard guard(mutex_);
    now_ += seconds;
    for (const auto& waiter : waiters_) {
      if (waiter.deadline <= now_)
        due.push_back(waiter);
    }
  }
  for (const auto& waiter : due) {
    std::lock_guard hold(*waiter.mutex);
    waiter.wakeup->notify_all();
  }
}

bool ManualClock::wait_until_parked(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock guard(mutex_);
  return parked_.wait_for(guard, timeout, [&] {
    return static_cast<std::size_t>(std::count_if(
               waiters_.begin(), waiters_.end(),
               [&](const Waiter& waiter) { return waiter.deadline > now_; })) >= count;
  });
}

}  // namespace headway
