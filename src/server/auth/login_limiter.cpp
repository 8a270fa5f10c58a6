#include "server/auth/login_limiter.hpp"

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
  auto it = attempts_.find(key);
  if (it == attempts_.end())
    return 0;
  auto& times = it->second;
  while (!times.empty() && times.front() <= now - window_)
    times.pop_front();
  if (times.size() < static_cast<std::size_t>(max_failures_))
    return 0;
  // The attempt becomes possible when enough attempts left the window.
  const auto index = times.size() - static_cast<std::size_t>(max_failures_);
  return std::max(times[index] + window_ - now, 0.001);
}

void LoginLimiter::add(const std::string& key, double now) {
  if (attempts_.size() > 100000) {
    std::erase_if(attempts_, [&](const auto& item) {
      return item.second.empty() || item.second.back() <= now - window_;
    });
  }
  auto& times = attempts_[key];
  times.push_back(now);
  while (times.size() > static_cast<std::size_t>(max_failures_))
    times.pop_front();
}

void LoginLimiter::remove(const std::string& key, double began) {
  auto it = attempts_.find(key);
  if (it == attempts_.end())
    return;
  auto& times = it->second;
  if (auto at = std::find(times.begin(), times.end(), began); at != times.end())
    times.erase(at);
}

double LoginLimiter::begin_attempt(std::string_view user, std::string_view address, double now) {
  const std::string user_id = user_key(user);
  const std::string address_id = address_key(address);
  std::lock_guard lock(mutex_);
  const double wait = std::max(wait_for(user_id, now), wait_for(address_id, now));
  if (wait > 0)
    return wait;
  add(user_id, now);
  add(address_id, now);
  return 0;
}

void LoginLimiter::succeeded(std::string_view user, std::string_view address, double began) {
  std::lock_guard lock(mutex_);
  attempts_.erase(user_key(user));
  remove(address_key(address), began);
}

void LoginLimiter::abandon(std::string_view user, std::string_view address, double began) {
  std::lock_guard lock(mutex_);
  remove(user_key(user), began);
  remove(address_key(address), began);
}

}  // namespace headway::server
