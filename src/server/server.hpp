#pragma once

#include <functional>
#include <memory>
#include <string>

#include "server/config.hpp"

namespace headway::server {

// The `headway serve` process: HTTP listener, I/O threads, the shared Redis
// connections, the fan-out, the recorder and the job table, wired together.
// Usable in-process (tests) as well as from the CLI.
//
// Thread-safe: start() and wait() from the owner thread; request_stop() from
// any thread or a signal-free context.
class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the job table, binds the listener and starts the threads. Returns
  // an error message (empty on success). Redis need not be up.
  std::string start();
  // The bound port (useful with --listen 127.0.0.1:0).
  unsigned short port() const;
  // Also drains on SIGTERM and SIGINT (the CLI wants this; tests do not).
  void handle_signals();
  // Begins draining: stop accepting, end every stream cleanly, then stop.
  void request_stop();
  // Blocks until the server stopped; returns the process exit status.
  int wait();

  // Called just before each topic snapshot read (tests only).
  void set_snapshot_hook(std::function<void(const std::string& job_id)> hook);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace headway::server
