#include "server/resp_socket.hpp"

#include <hiredis/read.h>

namespace headway::server {

RespSocket::RespSocket(asio::any_io_executor executor)
    : socket_(std::move(executor)), buffer_(16 * 1024) {
  reset_reader();
}

RespSocket::~RespSocket() {
  redisReaderFree(reader_);
}

void RespSocket::reset_reader() {
  if (reader_ != nullptr)
    redisReaderFree(reader_);
  reader_ = redisReaderCreate();
}

awaitable<error_code> RespSocket::connect(const redis::Endpoint& endpoint, bool select_db) {
  close();
  reset_reader();
  outbox_.clear();
  error_code ec;
  if (endpoint.is_unix()) {
    asio::generic::stream_protocol::endpoint target(
        asio::local::stream_protocol::endpoint(endpoint.socket_path));
    std::tie(ec) = co_await socket_.async_connect(target, use_tuple);
  } else {
    tcp::resolver resolver(socket_.get_executor());
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), use_tuple);
    ec = resolve_ec;
    if (!ec) {
      ec = asio::error::host_not_found;
      for (const auto& entry : results) {
        close();
        asio::generic::stream_protocol::endpoint target(entry.endpoint());
        std::tie(ec) = co_await socket_.async_connect(target, use_tuple);
        if (!ec)
          break;
      }
    }
    if (!ec)
      socket_.set_option(tcp::no_delay(true), ec);
  }
  if (ec) {
    close();
    co_return ec;
  }
  // (Named vectors: GCC 12 mis-compiles a braced list inside co_await.)
  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!endpoint.user.empty())
      auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    ec = co_await expect_ok(std::move(auth));
  }
  if (!ec && select_db && endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    std::vector<std::string_view> select{"SELECT", db};
    ec = co_await expect_ok(std::move(select));
  }
  if (ec)
    close();
  co_return ec;
}

awaitable<error_code> RespSocket::expect_ok(std::vector<std::string_view> args) {
  if (auto ec = co_await write(redis::format_command(args)))
    co_return ec;
  auto [ec, reply] = co_await read_reply();
  if (!ec && reply->type == REDIS_REPLY_ERROR)
    ec = asio::error::access_denied;
  co_return ec;
}

awaitable<error_code> RespSocket::write(std::string data) {
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(data), use_tuple);
  (void)n;
  if (ec)
    close();
  co_return ec;
}

void RespSocket::send(std::string data) {
  outbox_ += data;
  if (writing_ || !socket_.is_open())
    return;
  writing_ = true;
  asio::co_spawn(
      socket_.get_executor(),
      [this]() -> awaitable<void> {
        while (!outbox_.empty() && socket_.is_open()) {
          std::string chunk;
          chunk.swap(outbox_);
          if (co_await write(std::move(chunk)))
            break;
        }
        outbox_.clear();
        writing_ = false;
      },
      asio::detached);
}

awaitable<std::pair<error_code, redis::Reply>> RespSocket::read_reply() {
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      close();
      co_return std::pair{error_code(asio::error::invalid_argument), redis::Reply()};
    }
    if (raw != nullptr)
      co_return std::pair{error_code(), redis::Reply(static_cast<redisReply*>(raw))};
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer_), use_tuple);
    if (ec) {
      close();
      co_return std::pair{ec, redis::Reply()};
    }
    redisReaderFeed(reader_, buffer_.data(), n);
  }
}

void RespSocket::close() {
  error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace headway::server
