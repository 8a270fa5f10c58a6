#pragma once

#include <hiredis/hiredis.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/connection.hpp"
#include "redis/redis_url.hpp"
#include "server/asio_types.hpp"

namespace headway::server {

// One Redis connection over an Asio socket, speaking RESP with hiredis' reader
// and formatter (redisFormatCommandArgv, redisReaderFeed/GetReply).
//
// Why not hiredis' async API under an adapter: hiredis 0.14's async context
// owns the socket and calls back from inside its own read handler, which makes
// pipelining with a FIFO of coroutine continuations, cancellation and timeouts
// awkward to express; driving the reader ourselves keeps every byte on an Asio
// socket whose lifetime and executor we control.
//
// TLS (rediss://) runs on an asio::ssl::stream, a fresh one per connection,
// held by shared pointer so that an operation still finishing on the previous
// connection keeps its stream alive (see redis/tls.hpp).
//
// Not thread-safe: owned by one strand. One read and one write may be in flight.
class RespSocket {
 public:
  // Each step of a connect (reaching one server and its AUTH, SELECT, ROLE
  // or SENTINEL command) gives up after `step_timeout`.
  RespSocket(const asio::any_io_executor& executor, std::chrono::milliseconds step_timeout);
  ~RespSocket();
  RespSocket(const RespSocket&) = delete;
  RespSocket& operator=(const RespSocket&) = delete;

  // Connects (TCP, TLS or unix socket), then AUTH and, if `select_db`,
  // SELECT. With Sentinel, first asks each Sentinel in turn for the master
  // and checks with ROLE that the server reached is the master.
  awaitable<error_code> connect(const redis::Endpoint& endpoint, bool select_db);
  // Why the last connect failed, in words (empty after a success).
  const std::string& connect_error() const { return connect_error_; }
  // The server connected to (the master found, for Sentinel).
  const std::string& peer() const { return peer_; }
  // Writes already-formatted commands and waits for the write.
  awaitable<error_code> write(std::string data);
  // Queues already-formatted commands and returns at once; one write is in
  // flight at a time and whatever queued meanwhile goes out in the next. Call
  // on the socket's executor. A failed write closes the socket, which the
  // reader sees.
  void send(std::string_view data);
  // The next reply; a protocol error or EOF closes the socket and returns an error.
  awaitable<std::pair<error_code, redis::Reply>> read_reply();
  // Closes the socket; pending operations end with an error. Safe to repeat.
  void close();
  bool is_open() const { return tls_ ? tls_->stream.lowest_layer().is_open() : socket_.is_open(); }

 private:
  struct Tls {
    // The context is configured before the stream copies its settings.
    Tls(const asio::any_io_executor& executor, const redis::TlsOptions& options, std::string& error)
        : context(configured(options, error)), stream(executor, context) {}
    static asio::ssl::context configured(const redis::TlsOptions& options, std::string& error);
    asio::ssl::context context;  // before the stream, which refers to it
    asio::ssl::stream<tcp::socket> stream;
  };
  // Reaches one server (TCP, TLS or, with no address, the unix socket) and
  // runs AUTH and SELECT there.
  awaitable<error_code> open(const redis::Endpoint& endpoint, const redis::HostPort* address,
                             bool select_db);
  awaitable<error_code> open_transport(const redis::Endpoint& endpoint,
                                       const redis::HostPort* address);
  // The master's address from one Sentinel (already connected).
  awaitable<std::optional<redis::HostPort>> ask_sentinel(const redis::Endpoint& endpoint);
  awaitable<error_code> expect_ok(std::vector<std::string_view> args);
  awaitable<std::pair<error_code, redis::Reply>> exchange(std::vector<std::string_view> args);
  awaitable<std::pair<error_code, std::size_t>> read_some();
  // Closes the socket when the current connect step outlives step_timeout_.
  void arm_deadline();
  void disarm_deadline();
  void reset_reader();

  asio::any_io_executor executor_;
  std::chrono::milliseconds step_timeout_;
  asio::generic::stream_protocol::socket socket_;
  std::shared_ptr<Tls> tls_;  // set while connected (or connecting) over TLS
  asio::steady_timer deadline_;
  unsigned step_ = 0;  // +1 per connect step; a late deadline for an old one does nothing
  std::string connect_error_;
  std::string peer_;
  redisReader* reader_ = nullptr;
  std::vector<char> buffer_;
  std::string outbox_;
  bool writing_ = false;
};

// A reply as text (status, string or error), empty otherwise.
inline std::string_view reply_text(const redisReply* reply) {
  return reply && reply->str ? std::string_view(reply->str, reply->len) : std::string_view();
}

}  // namespace headway::server
