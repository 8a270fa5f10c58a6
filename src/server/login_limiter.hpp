#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace headway::server {

// Counts failed logins per user name and per client address over a sliding
// window (one minute). Once either has `max_failures` failures in the window,
// further attempts are refused (429) until the oldest failure leaves it, so a
// password guesser gets `max_failures` guesses a minute per name and per
// address. (A refused attempt is not verified and not counted.)
//
// Thread-safe: one mutex. Memory is bounded: stale keys are pruned when the
// map grows.
class LoginLimiter {
 public:
  explicit LoginLimiter(int max_failures, double window_seconds = 60)
      : max_failures_(max_failures), window_(window_seconds) {}

  // Seconds until an attempt for this user from this address may be made;
  // 0 when it may be made now.
  double retry_after(std::string_view user, std::string_view address, double now);
  void record_failure(std::string_view user, std::string_view address, double now);
  // A successful login clears the user's failures (not the address's).
  void record_success(std::string_view user);

 private:
  double wait_for(const std::string& key, double now);
  void add(const std::string& key, double now);

  int max_failures_;
  double window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<double>> failures_;
};

}  // namespace headway::server
