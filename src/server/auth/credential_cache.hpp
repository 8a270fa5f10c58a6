#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/monotonic_clock.hpp"
#include "server/http/request_identity.hpp"

namespace headway::server {

// A short-lived memo of credential lookups (bearer tokens, sessions, users),
// keyed by the credential's hash, so a thousand streams opening with one token
// cost one database query rather than a thousand. Failed lookups are kept too:
// a guessed token stays guessed. An entry lives `ttl`, which is also how long
// a revocation made by another process can go unnoticed; revocations made
// through this process (logout) erase their entry at once.
//
// Thread-safe: one mutex around the map.
class CredentialCache {
 public:
  struct Entry {
    std::optional<Caller> caller;  // nullopt: the credential was rejected
    std::string csrf_token;        // sessions only
  };

  // `clock` measures the ttl (tests pass a manual one).
  explicit CredentialCache(std::chrono::milliseconds ttl, std::size_t capacity = 100000,
                           std::shared_ptr<Clock> clock = monotonic_clock())
      : ttl_seconds_(std::chrono::duration<double>(ttl).count()),
        capacity_(capacity),
        clock_(std::move(clock)) {}

  std::optional<Entry> find(const std::string& key);
  void put(const std::string& key, Entry entry);
  void erase(const std::string& key);

 private:
  struct Stored {
    Entry entry;
    double expires;  // on clock_
  };
  double ttl_seconds_;
  std::size_t capacity_;
  std::shared_ptr<Clock> clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Stored> entries_;
};

}  // namespace headway::server
