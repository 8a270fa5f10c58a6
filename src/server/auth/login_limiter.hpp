#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace headway::server {

// Counts login attempts per user name and per client address over a sliding
// window (one minute). Once either has `max_failures` counted attempts in the
// window, further attempts are refused (429) until the oldest leaves it, so a
// password guesser gets `max_failures` guesses a minute per name and per
// address.
//
// An attempt is counted when it begins, before its password is checked (which
// takes tens of milliseconds): counting only failures would let a burst of
// parallel guesses all pass the check while the first ones are still being
// verified. A successful attempt is taken back (and clears the user's count),
// as is one that could not be checked at all.
//
// Thread-safe: one mutex. Memory is bounded: stale keys are pruned when the
// map grows.
class LoginLimiter {
 public:
  explicit LoginLimiter(int max_failures, double window_seconds = 60)
      : max_failures_(max_failures), window_(window_seconds) {}

  // Counts an attempt for this user from this address at `now` and returns
  // 0, or, when either is at its limit, counts nothing and returns the
  // seconds until an attempt may be made.
  double begin_attempt(std::string_view user, std::string_view address, double now);
  // The attempt begun at `began` succeeded: it no longer counts against the
  // address, and the user's count is cleared.
  void succeeded(std::string_view user, std::string_view address, double began);
  // The attempt begun at `began` could not be checked (the database was
  // down): it counts against neither.
  void abandon(std::string_view user, std::string_view address, double began);

 private:
  double wait_for(const std::string& key, double now);
  void add(const std::string& key, double now);
  void remove(const std::string& key, double began);

  int max_failures_;
  double window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<double>> attempts_;
};

}  // namespace headway::server
