#pragma once

#include <hiredis/hiredis.h>

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
// Not thread-safe: owned by one strand. One read and one write may be in flight.
class RespSocket {
 public:
  explicit RespSocket(asio::any_io_executor executor);
  ~RespSocket();
  RespSocket(const RespSocket&) = delete;
  RespSocket& operator=(const RespSocket&) = delete;

  // Connects (TCP or unix socket), then AUTH and, if `select_db`, SELECT.
  awaitable<error_code> connect(const redis::Endpoint& endpoint, bool select_db);
  // Writes already-formatted commands and waits for the write.
  awaitable<error_code> write(std::string data);
  // Queues already-formatted commands and returns at once; one write is in
  // flight at a time and whatever queued meanwhile goes out in the next. Call
  // on the socket's executor. A failed write closes the socket, which the
  // reader sees.
  void send(std::string data);
  // The next reply; a protocol error or EOF closes the socket and returns an error.
  awaitable<std::pair<error_code, redis::Reply>> read_reply();
  // Closes the socket; pending operations end with an error. Safe to repeat.
  void close();
  bool is_open() const { return socket_.is_open(); }

 private:
  awaitable<error_code> expect_ok(std::vector<std::string_view> args);
  void reset_reader();

  asio::generic::stream_protocol::socket socket_;
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
