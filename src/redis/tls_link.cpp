// The blocking TLS link of redis::Connection: synchronous calls over Asio's
// asynchronous operations, each run on a private io_context for at most its
// timeout (see tls.hpp for why TLS is not hiredis').
#include <hiredis/read.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <vector>

#include "redis/link.hpp"
#include "redis/tls.hpp"

namespace headway::redis {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// Lives on the heap and never moves: the stream refers to the io_context and
// the SSL context, which are declared (so built) before it and destroyed
// after it.
class TlsLink final : public Link {
 public:
  explicit TlsLink(Timeouts timeouts)
      : timeouts_(timeouts), ssl_(asio::ssl::context::tls_client), buffer_(16 * 1024) {}
  ~TlsLink() override {
    stream_.reset();
    redisReaderFree(reader_);
  }
  TlsLink(const TlsLink&) = delete;
  TlsLink& operator=(const TlsLink&) = delete;

  bool connect(const HostPort& address, const TlsOptions& options, std::string& error) {
    if (!configure_tls_context(ssl_, options, error))
      return false;
    stream_.emplace(io_, ssl_);
    prepare_tls_stream(*stream_, address.host, options);
    tcp::resolver resolver(io_);
    tcp::resolver::results_type results;
    auto ec = run(timeouts_.connect, [&](auto done) {
      resolver.async_resolve(address.host, std::to_string(address.port),
                             [&, done](error_code ec, tcp::resolver::results_type found) {
                               results = std::move(found);
                               done(ec);
                             });
    });
    if (!ec) {
      ec = run(timeouts_.connect, [&](auto done) {
        asio::async_connect(stream_->lowest_layer(), results,
                            [done](error_code ec, const tcp::endpoint&) { done(ec); });
      });
    }
    if (ec) {
      error = ec.message();
      return false;
    }
    stream_->lowest_layer().set_option(tcp::no_delay(true), ec);
    ec = run(timeouts_.connect,
             [&](auto done) { stream_->async_handshake(asio::ssl::stream_base::client, done); });
    if (ec) {
      error = "TLS handshake failed: " + tls_failure(*stream_, ec);
      return false;
    }
    reader_ = redisReaderCreate();
    return reader_ != nullptr;
  }

  bool send(std::string_view formatted, std::string& error) override {
    std::size_t written = 0;
    auto ec = run(timeouts_.command, [&](auto done) {
      asio::async_write(*stream_, asio::buffer(formatted.data(), formatted.size()),
                        [&, done](error_code ec, std::size_t n) {
                          written = n;
                          done(ec);
                        });
    });
    if (ec || written != formatted.size()) {
      error = "cannot send to Redis: " + ec.message();
      return false;
    }
    return true;
  }

  Reply receive(std::string& error) override {
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
        error = "protocol error from Redis";
        close();
        return nullptr;
      }
      if (raw != nullptr)
        return Reply(static_cast<redisReply*>(raw));
      std::size_t received = 0;
      auto ec = run(timeouts_.command, [&](auto done) {
        stream_->async_read_some(asio::buffer(buffer_), [&, done](error_code ec, std::size_t n) {
          received = n;
          done(ec);
        });
      });
      if (ec) {
        error = ec == asio::error::timed_out ? "no reply from Redis (timed out)"
                                             : "no reply from Redis: " + ec.message();
        return nullptr;
      }
      redisReaderFeed(reader_, buffer_.data(), received);
    }
  }

  int native_socket() const override {
    return const_cast<TlsLink*>(this)->stream_->lowest_layer().native_handle();
  }

 private:
  // Starts one operation (`start(done)`, where the operation calls
  // done(error_code)) and runs the io_context until it completes or
  // `timeout` passes; then the socket is closed and the aborted operation
  // run to its end, so nothing is left pending on the io_context.
  template <typename Start>
  error_code run(std::chrono::milliseconds timeout, Start start) {
    std::optional<error_code> result;
    start([&result](error_code ec) { result = ec; });
    io_.restart();
    io_.run_for(timeout);
    if (!result) {
      close();
      io_.restart();
      io_.run();
      return asio::error::timed_out;
    }
    return *result;
  }

  void close() {
    error_code ignored;
    stream_->lowest_layer().close(ignored);
  }

  Timeouts timeouts_;
  asio::io_context io_;
  asio::ssl::context ssl_;
  std::optional<asio::ssl::stream<tcp::socket>> stream_;
  redisReader* reader_ = nullptr;
  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<Link> open_tls_link(const HostPort& address, const TlsOptions& options,
                                    Timeouts timeouts, std::string& error) {
  auto link = std::make_unique<TlsLink>(timeouts);
  if (!link->connect(address, options, error))
    return nullptr;
  return link;
}

}  // namespace headway::redis
