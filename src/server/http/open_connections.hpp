#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <utility>

#include "server/asio_types.hpp"

namespace headway::server {

// The open connections, so the server can enforce its connection limit and,
// on SIGTERM, ask each one to finish: a stream ends cleanly (its client
// reconnects elsewhere), an idle keep-alive connection is closed.
//
// Thread-safe.
class Connections {
 public:
  struct Entry {
    asio::any_io_executor executor;
    std::function<void()> on_drain;  // runs on `executor`
  };
  using Handle = std::list<Entry>::iterator;

  Handle add(asio::any_io_executor executor);
  void remove(Handle handle);
  // Replaces what draining does to this connection. If the server is already
  // draining, it runs at once (on the connection's executor).
  void set_on_drain(Handle handle, std::function<void()> on_drain);
  std::size_t count() const { return count_.load(); }
  bool draining() const { return draining_.load(); }
  void drain_all();

 private:
  mutable std::mutex mutex_;
  std::list<Entry> entries_;
  std::atomic<std::size_t> count_{0};
  std::atomic<bool> draining_{false};
};

// Registers a connection for its lifetime. Moving it hands the registration
// to whoever takes the connection over (a stream); the moved-from guard then
// does nothing.
class ConnectionGuard {
 public:
  ConnectionGuard(Connections& connections, asio::any_io_executor executor)
      : connections_(&connections), handle_(connections.add(std::move(executor))) {}
  ConnectionGuard(ConnectionGuard&& other) noexcept
      : connections_(std::exchange(other.connections_, nullptr)), handle_(other.handle_) {}
  ~ConnectionGuard() {
    if (connections_ != nullptr)
      connections_->remove(handle_);
  }
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(ConnectionGuard&&) = delete;
  void on_drain(std::function<void()> f) { connections_->set_on_drain(handle_, std::move(f)); }

 private:
  Connections* connections_;
  Connections::Handle handle_;
};

}  // namespace headway::server
