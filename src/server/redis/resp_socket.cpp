#include "server/redis/resp_socket.hpp"

#include <hiredis/read.h>

#include <cstdlib>

#include "redis/tls.hpp"

namespace headway::server {

RespSocket::RespSocket(const asio::any_io_executor& executor,
                       std::chrono::milliseconds step_timeout)
    : executor_(executor),
      step_timeout_(step_timeout),
      socket_(executor),
      deadline_(executor),
      buffer_(16 * 1024) {
  reset_reader();
}

asio::ssl::context RespSocket::Tls::configured(const redis::TlsOptions& options,
                                               std::string& error) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  redis::configure_tls_context(context, options, error);
  return context;
}

RespSocket::~RespSocket() {
  redisReaderFree(reader_);
}

void RespSocket::reset_reader() {
  if (reader_ != nullptr)
    redisReaderFree(reader_);
  reader_ = redisReaderCreate();
}

void RespSocket::arm_deadline() {
  deadline_.expires_after(step_timeout_);
  deadline_.async_wait([this, step = ++step_](error_code ec) {
    if (!ec && step == step_)
      close();
  });
}

void RespSocket::disarm_deadline() {
  ++step_;
  deadline_.cancel();
}

awaitable<error_code> RespSocket::open_transport(const redis::Endpoint& endpoint,
                                                 const redis::HostPort* address) {
  close();
  reset_reader();
  outbox_.clear();
  tls_.reset();
  error_code ec;
  if (address == nullptr) {
    asio::generic::stream_protocol::endpoint target(
        asio::local::stream_protocol::endpoint(endpoint.socket_path));
    std::tie(ec) = co_await socket_.async_connect(target, use_tuple);
    co_return ec;
  }
  tcp::resolver resolver(executor_);
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(address->host, std::to_string(address->port), use_tuple);
  if (resolve_ec)
    co_return resolve_ec;
  if (!endpoint.tls) {
    ec = asio::error::host_not_found;
    for (const auto& entry : results) {
      close();
      asio::generic::stream_protocol::endpoint target(entry.endpoint());
      std::tie(ec) = co_await socket_.async_connect(target, use_tuple);
      if (!ec)
        break;
    }
    if (!ec)
      socket_.set_option(tcp::no_delay(true), ec);
    co_return ec;
  }
  std::string tls_error;
  auto tls = std::make_shared<Tls>(executor_, endpoint.tls_options, tls_error);
  if (!tls_error.empty()) {
    connect_error_ = tls_error;
    co_return asio::error::invalid_argument;
  }
  redis::prepare_tls_stream(tls->stream, address->host, endpoint.tls_options);
  tls_ = tls;
  std::tie(ec, std::ignore) =
      co_await asio::async_connect(tls->stream.lowest_layer(), results, use_tuple);
  if (!ec)
    tls->stream.lowest_layer().set_option(tcp::no_delay(true), ec);
  if (!ec) {
    std::tie(ec) = co_await tls->stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (ec)
      connect_error_ = "TLS handshake failed: " + redis::tls_failure(tls->stream, ec);
  }
  co_return ec;
}

awaitable<error_code> RespSocket::open(const redis::Endpoint& endpoint,
                                       const redis::HostPort* address, bool select_db) {
  arm_deadline();
  error_code ec = co_await open_transport(endpoint, address);
  // (Named vectors: GCC 12 mis-compiles a braced list inside co_await.)
  if (!ec && !endpoint.password.empty()) {
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
  disarm_deadline();
  if (ec)
    close();
  co_return ec;
}

awaitable<std::optional<redis::HostPort>> RespSocket::ask_sentinel(
    const redis::Endpoint& endpoint) {
  arm_deadline();
  std::optional<redis::HostPort> master;
  error_code ec;
  if (!endpoint.sentinel_password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!endpoint.sentinel_user.empty())
      auth.push_back(endpoint.sentinel_user);
    auth.push_back(endpoint.sentinel_password);
    ec = co_await expect_ok(std::move(auth));
  }
  if (!ec) {
    std::vector<std::string_view> ask{"SENTINEL", "get-master-addr-by-name", endpoint.master_name};
    auto [ask_ec, reply] = co_await exchange(std::move(ask));
    if (!ask_ec && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
      master = redis::HostPort{std::string(reply_text(reply->element[0])),
                               std::atoi(std::string(reply_text(reply->element[1])).c_str())};
    } else if (!ask_ec) {
      connect_error_ = "does not know the master '" + endpoint.master_name + "'";
    }
  }
  disarm_deadline();
  close();
  co_return master;
}

awaitable<error_code> RespSocket::connect(const redis::Endpoint& endpoint, bool select_db) {
  connect_error_.clear();
  if (!endpoint.is_sentinel()) {
    const redis::HostPort address = endpoint.address();
    peer_ = endpoint.display();
    co_return co_await open(endpoint, endpoint.is_unix() ? nullptr : &address, select_db);
  }
  std::string reasons;
  error_code ec = asio::error::host_not_found;
  for (const auto& sentinel : endpoint.sentinels) {
    connect_error_.clear();
    arm_deadline();
    ec = co_await open_transport(endpoint, &sentinel);
    disarm_deadline();
    std::optional<redis::HostPort> master;
    if (!ec)
      master = co_await ask_sentinel(endpoint);
    if (master) {
      ec = co_await open(endpoint, &*master, select_db);
      if (!ec) {
        arm_deadline();
        std::vector<std::string_view> role{"ROLE"};
        auto [role_ec, reply] = co_await exchange(std::move(role));
        disarm_deadline();
        ec = role_ec;
        if (!ec && (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
                    reply_text(reply->element[0]) != "master")) {
          ec = asio::error::connection_refused;
          connect_error_ = master->display() + " is not a master";
        }
        if (!ec) {
          peer_ = master->display();
          connect_error_.clear();
          co_return ec;
        }
      }
    } else if (!ec) {
      ec = asio::error::host_not_found;
    }
    close();
    reasons += (reasons.empty() ? "" : "; ") + std::string("Sentinel ") + sentinel.display() +
               ": " + (connect_error_.empty() ? ec.message() : connect_error_);
  }
  connect_error_ = "no master for " + endpoint.display() + " (" + reasons + ")";
  co_return ec;
}

awaitable<std::pair<error_code, redis::Reply>> RespSocket::exchange(
    std::vector<std::string_view> args) {
  if (auto ec = co_await write(redis::format_command(args)))
    co_return std::pair{ec, redis::Reply()};
  co_return co_await read_reply();
}

awaitable<error_code> RespSocket::expect_ok(std::vector<std::string_view> args) {
  const std::string command(args.front());
  auto [ec, reply] = co_await exchange(std::move(args));
  if (!ec && reply->type == REDIS_REPLY_ERROR) {
    connect_error_ = command + " failed: " + std::string(reply_text(reply.get()));
    ec = asio::error::access_denied;
  }
  co_return ec;
}

awaitable<error_code> RespSocket::write(std::string data) {
  error_code ec;
  if (auto tls = tls_) {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(tls->stream, asio::buffer(data), use_tuple);
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(data), use_tuple);
  }
  if (ec)
    close();
  co_return ec;
}

void RespSocket::send(std::string_view data) {
  outbox_ += data;
  if (writing_ || !is_open())
    return;
  writing_ = true;
  asio::co_spawn(
      executor_,
      [this]() -> awaitable<void> {
        while (!outbox_.empty() && is_open()) {
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

awaitable<std::pair<error_code, std::size_t>> RespSocket::read_some() {
  if (auto tls = tls_) {
    auto [ec, n] = co_await tls->stream.async_read_some(asio::buffer(buffer_), use_tuple);
    co_return std::pair{ec, n};
  }
  auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer_), use_tuple);
  co_return std::pair{ec, n};
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
    auto [ec, n] = co_await read_some();
    if (ec) {
      close();
      co_return std::pair{ec, redis::Reply()};
    }
    redisReaderFeed(reader_, buffer_.data(), n);
  }
}

void RespSocket::close() {
  error_code ignored;
  if (tls_) {
    tls_->stream.lowest_layer().shutdown(asio::socket_base::shutdown_both, ignored);
    tls_->stream.lowest_layer().close(ignored);
  }
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace headway::server
