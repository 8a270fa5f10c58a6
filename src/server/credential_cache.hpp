#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/caller.hpp"

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

  explicit CredentialCache(std::chrono::milliseconds ttl, std::size_t capacity = 100000)
      : ttl_(ttl), capacity_(capacity) {}

  std::optional<Entry> find(const std::string& key);
  void put(const std::string& key, Entry entry);
  void erase(const std::string& key);

 private:
  using Clock = std::chrono::steady_clock;
  struct Stored {
    Entry entry;
    Clock::time_point expires;
  };
  std::chrono::milliseconds ttl_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Stored> entries_;
};

}  // namespace headway::server
