#include "server/http/open_connections.hpp"

namespace headway::server {

Connections::Handle Connections::add(asio::any_io_executor executor) {
  std::lock_guard lock(mutex_);
  ++count_;
  return entries_.insert(entries_.end(), Entry{std::move(executor), {}});
}

void Connections::remove(Handle handle) {
  std::lock_guard lock(mutex_);
  entries_.erase(handle);
  --count_;
}

void Connections::set_on_drain(Handle handle, std::function<void()> on_drain) {
  std::lock_guard lock(mutex_);
  handle->on_drain = std::move(on_drain);
  if (draining_.load() && handle->on_drain)
    asio::post(handle->executor, handle->on_drain);
}

void Connections::drain_all() {
  std::lock_guard lock(mutex_);
  draining_ = true;
  for (auto& entry : entries_) {
    if (entry.on_drain)
      asio::post(entry.executor, entry.on_drain);
  }
}

}  // namespace headway::server
