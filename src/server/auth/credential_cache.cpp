#include "server/auth/credential_cache.hpp"

#include <iterator>

namespace headway::server {

std::optional<CredentialCache::Entry> CredentialCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end())
    return std::nullopt;
  if (it->second.expires <= clock_->now()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.entry;
}

void CredentialCache::put(const std::string& key, Entry entry) {
  const double now = clock_->now();
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) {
    // Full: drop what expired; if nothing did (a flood of distinct bad
    // tokens), start over rather than grow without bound.
    std::erase_if(entries_, [now](const auto& item) { return item.second.expires <= now; });
    if (entries_.size() >= capacity_)
      entries_.clear();
  }
  entries_[key] = Stored{std::move(entry), now + ttl_seconds_};
}

void CredentialCache::erase(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

}  // namespace headway::server
