#include "server/login_limiter.hpp"

#include <algorithm>

namespace headway::server {
namespace {

std::string user_key(std::string_view user) {
  return "user:" + std::string(user);
}
std::string address_key(std::string_view address) {
  return "addr:" + std::string(address);
}

}  // namespace

double LoginLimiter::wait_for(const std::string& key, double now) {
  auto it = failures_.find(key);
  if (it == failures_.end())
    return 0;
  auto& times = it->second;
  while (!times.empty() && times.front() <= now - window_)
    times.pop_front();
  if (times.size() < static_cast<std::size_t>(max_failures_))
    return 0;
  // The attempt becomes possible when enough failures left the window.
  const auto index = times.size() - static_cast<std::size_t>(max_failures_);
  return std::max(times[index] + window_ - now, 0.001);
}

void LoginLimiter::add(const std::string& key, double now) {
  if (failures_.size() > 100000) {
    std::erase_if(failures_, [&](const auto& item) {
      return item.second.empty() || item.second.back() <= now - window_;
    });
  }
  auto& times = failures_[key];
  times.push_back(now);
  while (times.size() > static_cast<std::size_t>(max_failures_))
    times.pop_front();
}

double LoginLimiter::retry_after(std::string_view user, std::string_view address, double now) {
  std::lock_guard lock(mutex_);
  return std::max(wait_for(user_key(user), now), wait_for(address_key(address), now));
}

void LoginLimiter::record_failure(std::string_view user, std::string_view address, double now) {
  std::lock_guard lock(mutex_);
  add(user_key(user), now);
  add(address_key(address), now);
}

void LoginLimiter::record_success(std::string_view user) {
  std::lock_guard lock(mutex_);
  failures_.erase(user_key(user));
}

}  // namespace headway::server
