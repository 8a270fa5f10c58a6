#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "jobs/command_config.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/liveness.hpp"
#include "redis/redis_url.hpp"
#include "server/api/routes.hpp"
#include "server/handler_services.hpp"
#include "server/http/static_files.hpp"
#include "server/http_session.hpp"
#include "server/redis/recorder.hpp"
#include "store/store_url.hpp"

namespace headway::server {

// Members are declared in dependency order and destroyed in reverse; wait()
// lets every coroutine end before anything is destroyed.
struct Server::Impl {
  explicit Impl(ServerConfig c)
      : config(std::move(c)), contexts(make_contexts(config.threads)), io(*contexts.front()) {}

  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int threads) {
    const int count = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (int i = 0; i < std::max(count, 1); ++i)
      contexts.push_back(std::make_unique<asio::io_context>(1));
    return contexts;
  }

  ServerConfig config;
  Metrics metrics;
  Connections connections;
  std::unique_ptr<store::JobStore> store;
  std::unique_ptr<asio::thread_pool> db_pool;
  std::unique_ptr<asio::thread_pool> password_pool;
  // One single-threaded io_context per I/O thread rather than one context
  // shared by all threads: a handler posted within its own thread then never
  // wakes another thread, and a connection's work needs no strand. The shared
  // parts (Redis commands, fallback loops, listener) live on the first; each
  // context has a pub/sub connection of its own.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& io;
  // Keeps every context running while it has nothing to do; released by drain().
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::size_t next_context = 0;  // on `control`: round robin for accepted connections
  // The listener, signals and drain share this strand.
  asio::strand<asio::io_context::executor_type> control{asio::make_strand(io)};
  std::unique_ptr<RedisCommands> redis;
  std::unique_ptr<Snapshots> snapshots;
  std::unique_ptr<Fanout> fanout;
  PubSubConnections pubsub;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<Services> services;
  std::unique_ptr<worker::JobQueue> job_queue;
  std::unique_ptr<StaticFiles> static_files;
  Router router;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::signal_set> signals;
  std::unique_ptr<Recorder> recorder;
  std::unique_ptr<worker::LivenessSweeper> liveness;
  std::vector<std::thread> threads;
  std::atomic<bool> stop_requested{false};
  bool forced = false;

  std::string prepare_jobs_and_web_ui(const redis::Endpoint& endpoint);
  awaitable<void> accept_loop();
  awaitable<void> drain();
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  // A destructor must not throw: a failed join (std::system_error) or the
  // log is reported on stderr, and the parts are left as they are.
  try {
    if (!impl_->threads.empty()) {
      request_stop();
      wait();
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "headway serve: while stopping: %s\n", error.what());
    impl_->forced = true;
  }
  if (impl_->forced) {
    // Coroutines still hold references into these parts; the process is
    // about to exit, so leave them rather than destroy them under a handler.
    (void)impl_.release();
  }
}

std::string Server::start() {
  auto& s = *impl_;
  std::string error;
  auto endpoint = redis::parse_redis_url(s.config.redis_url, error);
  if (!endpoint)
    return "--redis: " + error;
  if (endpoint->is_cluster())
    return "--redis: headway serve does not run on a Redis Cluster yet (docs/operations.md, "
           "\"Redis Cluster\"); give it a standalone, rediss:// or redis+sentinel:// URL";
  auto store = store::open_job_store(s.config.database_url);
  if (!store)
    return "cannot open the job table at " + store::redact_url(s.config.database_url) + ": " +
           store.error().message;
  s.store = std::move(store.value());
  std::string stream_token_key;
  if (auto refused = prepare_auth(s.config, *s.store, stream_token_key, std::cout);
      !refused.empty())
    return refused;
  s.db_pool = std::make_unique<asio::thread_pool>(2);
  // Two threads: at 128 MiB per scrypt hash, logins take at most 256 MiB at once.
  s.password_pool = std::make_unique<asio::thread_pool>(2);
  const RedisCommands::Options command_options{s.config.redis_command_timeout,
                                               s.config.redis_retry_min, s.config.redis_retry_max};
  s.redis = std::make_unique<RedisCommands>(s.io, *endpoint, command_options, s.metrics);
  s.snapshots = std::make_unique<Snapshots>(*s.redis, *s.store, *s.db_pool, s.metrics);
  s.fanout = std::make_unique<Fanout>(s.io, *s.snapshots, s.metrics, s.config.fallback_interval);
  const RedisPubSub::Options pubsub_options{
      s.config.redis_retry_min, s.config.redis_retry_max,
      std::max(s.config.redis_command_timeout, Duration(1000))};
  for (auto& context : s.contexts) {
    s.pubsub.add(
        std::make_unique<RedisPubSub>(*context, *endpoint, pubsub_options, *s.fanout, s.metrics));
  }
  s.auth = std::make_unique<Authenticator>(s.config, *s.store, *s.db_pool, *s.password_pool,
                                           std::move(stream_token_key));
  s.services = std::make_unique<Services>(Services{s.config, s.metrics, *s.store, *s.db_pool,
                                                   *s.redis, s.pubsub, *s.snapshots, *s.fanout,
                                                   s.connections, *s.auth, nullptr, nullptr});
  if (auto error = s.prepare_jobs_and_web_ui(*endpoint); !error.empty())
    return error;
  add_routes(s.router, *s.services, *s.job_queue, *s.static_files);

  error_code ec;
  auto address = asio::ip::make_address(s.config.listen_host, ec);
  if (ec)
    return "--listen: '" + s.config.listen_host + "' is not an IP address";
  s.acceptor = std::make_unique<tcp::acceptor>(s.control);
  const tcp::endpoint listen(address, s.config.listen_port);
  s.acceptor->open(listen.protocol(), ec);
  if (!ec)
    s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    s.acceptor->bind(listen, ec);
  if (!ec)
    s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + s.config.listen_host + ":" + std::to_string(s.config.listen_port) +
           ": " + ec.message();

  s.redis->start();
  s.pubsub.start();
  if (s.config.recorder) {
    s.recorder = std::make_unique<Recorder>(*endpoint, *s.store, s.config, s.metrics);
    s.recorder->start();
    s.services->recorder = s.recorder.get();
  }
  // Here rather than in `headway worker`: the server always runs (external
  // jobs need no worker), and the queue's rules stay in the worker library.
  if (s.config.liveness_sweep) {
    s.liveness = std::make_unique<worker::LivenessSweeper>(
        *endpoint, *s.store,
        worker::LivenessOptions{.lost_after = s.config.lost_job_timeout,
                                .external_timeout = s.config.external_job_timeout});
    s.liveness->start();
  }
  asio::co_spawn(s.control, s.accept_loop(), asio::detached);
  for (auto& context : s.contexts) {
    s.work.push_back(asio::make_work_guard(*context));
    s.threads.emplace_back([&context = *context] { context.run(); });
  }
  spdlog::info("headway serve: listening on {}:{} ({} threads), redis {}, job table {}",
               s.config.listen_host, port(), s.threads.size(), endpoint->display(),
               store::redact_url(s.config.database_url));
  return {};
}

unsigned short Server::port() const {
  error_code ec;
  return impl_->acceptor ? impl_->acceptor->local_endpoint(ec).port() : 0;
}

void Server::handle_signals() {
  auto& s = *impl_;
  s.signals = std::make_unique<asio::signal_set>(s.control, SIGTERM, SIGINT);
  s.signals->async_wait([this](error_code ec, int signo) {
    if (!ec) {
      spdlog::info("headway serve: signal {}; draining", signo);
      request_stop();
    }
  });
}

void Server::request_stop() {
  if (impl_->stop_requested.exchange(true))
    return;
  asio::co_spawn(impl_->control, impl_->drain(), asio::detached);
}

int Server::wait() {
  for (auto& thread : impl_->threads)
    thread.join();
  impl_->threads.clear();
  if (impl_->db_pool)
    impl_->db_pool->join();
  if (impl_->password_pool)
    impl_->password_pool->join();
  spdlog::info("headway serve: stopped");
  return 0;
}

void Server::set_snapshot_hook(std::function<void(const std::string& job_id)> hook) {
  impl_->fanout->set_snapshot_hook(std::move(hook));
}

// The job queue behind the job API, which validates `command` jobs with the
// workers' configuration file, and the web UI the catch-all rows serve (or
// explain that none is built).
std::string Server::Impl::prepare_jobs_and_web_ui(const redis::Endpoint& endpoint) {
  worker::WorkerConfig worker_config;
  if (!config.worker_config.empty()) {
    auto loaded = worker::load_worker_config(config.worker_config);
    if (!loaded)
      return "--commands: " + loaded.error().message;
    worker_config = std::move(*loaded);
  }
  const redis::Connection::Timeouts timeouts{config.redis_command_timeout,
                                             config.redis_command_timeout};
  job_queue = std::make_unique<worker::JobQueue>(endpoint, *store,
                                                 worker::JobCatalog(std::move(worker_config)),
                                                 worker::RecordOptions{}, timeouts);
  services->job_queue = job_queue.get();

  std::filesystem::path web_root = config.web_root;
  std::error_code ec;
  if (!web_root.empty() && !std::filesystem::is_directory(web_root, ec))
    return "--web-root: " + config.web_root + " is not a directory";
  if (web_root.empty())
    web_root = default_web_root();
  static_files = std::make_unique<StaticFiles>(web_root);
  if (static_files->root().empty())
    spdlog::info("headway serve: no web UI found (build web/ or pass --web-root)");
  else
    spdlog::info("headway serve: web UI from {}", static_files->root().string());
  return {};
}

awaitable<void> Server::Impl::accept_loop() {
  asio::steady_timer backoff(control);
  while (acceptor->is_open()) {
    auto& context = *contexts[next_context++ % contexts.size()];
    auto [ec, socket] = co_await acceptor->async_accept(context, use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor->is_open())
      co_return;
    if (ec) {
      // Out of file descriptors, usually: wait a little instead of spinning.
      spdlog::warn("accept: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_http_session(*services, router, std::move(socket)),
                   [](const std::exception_ptr& error) {
                     if (!error)
                       return;
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       spdlog::error("connection: {}", e.what());
                     }
                   });
  }
}

// Stop accepting, end every connection cleanly, stop the Redis parts and the
// recorder, and let the I/O threads run out of work. If connections outlast
// the drain timeout, stop the threads anyway.
awaitable<void> Server::Impl::drain() {
  error_code ignored;
  acceptor->close(ignored);
  if (signals)
    signals->cancel(ignored);
  connections.drain_all();
  asio::steady_timer timer(control);
  const auto deadline = std::chrono::steady_clock::now() + config.drain_timeout;
  while (connections.count() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(use_tuple);
  }
  if (recorder)
    recorder->stop();
  if (liveness)
    liveness->stop();
  fanout->stop();
  pubsub.stop();
  redis->stop();
  work.clear();
  if (connections.count() > 0) {
    spdlog::warn("headway serve: {} connections still open after the drain timeout",
                 connections.count());
    forced = true;
    for (auto& context : contexts)
      context->stop();
  }
}

}  // namespace headway::server
