#include "cli/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>

namespace headway::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

http::request<http::string_body> make_request(const ServerAddress& server, std::string_view method,
                                              std::string_view target, std::string_view body) {
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  const bool default_port = server.port == (server.tls ? "443" : "80");
  request.set(http::field::host, default_port ? server.host : server.host + ":" + server.port);
  request.set(http::field::user_agent, "headway-cli");
  request.set(http::field::accept, "application/json, text/event-stream");
  if (!server.token.empty())
    request.set(http::field::authorization, "Bearer " + server.token);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.prepare_payload();
  return request;
}

// One connection to the server, plain TCP or TLS. Each operation is started
// asynchronously and the private io_context runs until it completes, so the
// tcp_stream's expiry bounds every step (Beast applies its timeouts to
// asynchronous operations only).
class Connection {
 public:
  explicit Connection(const ServerAddress& server)
      : server_(server), tls_context_(ssl::context::tls_client) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (and for https:// completes a verified TLS handshake) within
  // `timeout`; false with `error` set otherwise.
  bool open(std::chrono::seconds timeout, std::string& error);
  void expires_after(std::chrono::seconds timeout) { lowest().expires_after(timeout); }

  template <typename Message>
  beast::error_code write(Message& message) {
    return visit([&](auto& stream) {
      return run([&](auto handler) { http::async_write(stream, message, handler); });
    });
  }
  template <typename Parser>
  beast::error_code read_header(Parser& parser) {
    return visit([&](auto& stream) {
      return run([&](auto handler) { http::async_read_header(stream, buffer_, parser, handler); });
    });
  }
  // Reads the whole message.
  template <typename Parser>
  beast::error_code read(Parser& parser) {
    return visit([&](auto& stream) {
      return run([&](auto handler) { http::async_read(stream, buffer_, parser, handler); });
    });
  }
  // Reads until the parser makes progress: at least some of the body (a
  // stream's next event, however small), or the end of the message.
  template <typename Parser>
  beast::error_code read_some(Parser& parser) {
    return visit([&](auto& stream) {
      return run([&](auto handler) { http::async_read_some(stream, buffer_, parser, handler); });
    });
  }
  // Ends the connection politely (TLS close_notify), within two seconds.
  void close();

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_; }
  template <typename Operation>
  beast::error_code visit(Operation&& operation) {
    return tls_ ? operation(*tls_) : operation(*tcp_);
  }
  template <typename Start>
  beast::error_code run(Start&& start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }
  std::string tls_failure(const beast::error_code& ec);

  const ServerAddress& server_;
  asio::io_context io_;
  ssl::context tls_context_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

bool Connection::open(std::chrono::seconds timeout, std::string& error) {
  const std::string where = server_.host + ":" + server_.port;
  beast::error_code ec;
  if (server_.tls) {
    tls_context_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    // The system store honours SSL_CERT_FILE and SSL_CERT_DIR, as OpenSSL does.
    if (server_.cacert.empty())
      tls_context_.set_default_verify_paths(ec);
    else
      tls_context_.load_verify_file(server_.cacert, ec);
    if (ec) {
      error = "cannot load CA certificates from " +
              (server_.cacert.empty() ? std::string("the system store") : server_.cacert) + ": " +
              ec.message();
      return false;
    }
    tls_context_.set_verify_mode(ssl::verify_peer);
    tls_.emplace(io_, tls_context_);
    // OpenSSL checks that the certificate names the host (so a mismatch is
    // reported as one); a name also goes out as SNI, for proxies serving
    // several names, an address never does (RFC 6066).
    SSL* ssl = tls_->native_handle();
    asio::ip::make_address(server_.host, ec);
    const bool named =
        ec ? SSL_set1_host(ssl, server_.host.c_str()) == 1 &&
                 SSL_set_tlsext_host_name(ssl, server_.host.c_str()) == 1
           : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_.host.c_str()) == 1;
    if (!named) {
      error = "cannot check the TLS certificate for " + server_.host;
      return false;
    }
    ec = {};
  } else {
    tcp_.emplace(io_);
  }
  lowest().expires_after(timeout);
  tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(server_.host, server_.port, ec);
  if (!ec)
    ec = run([&](auto handler) { lowest().async_connect(endpoints, handler); });
  if (ec) {
    error = "cannot reach the server at " + where + ": " + ec.message();
    return false;
  }
  if (tls_) {
    ec = run([&](auto handler) { tls_->async_handshake(ssl::stream_base::client, handler); });
    if (ec) {
      error = "TLS handshake with " + where + " failed: " + tls_failure(ec);
      return false;
    }
  }
  return true;
}

std::string Connection::tls_failure(const beast::error_code& ec) {
  std::string text = ec.message();
  const long verdict = SSL_get_verify_result(tls_->native_handle());
  if (verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    text += " (the certificate does not name " + server_.host + ")";
  } else if (verdict != X509_V_OK) {
    text += std::string(" (") + X509_verify_cert_error_string(verdict) +
            "); --cacert FILE trusts a private CA";
  }
  return text;
}

void Connection::close() {
  beast::error_code ec;
  lowest().expires_after(std::chrono::seconds(2));
  if (tls_)
    run([&](auto handler) { tls_->async_shutdown(handler); });
  lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  lowest().close();
}

// Splits a buffer of SSE text into events; keeps an unfinished tail.
class EventParser {
 public:
  template <typename Handler>
  bool feed(std::string_view chunk, Handler&& on_event) {
    pending_.append(chunk);
    std::size_t start = 0;
    while (true) {
      const auto end = pending_.find('\n', start);
      if (end == std::string::npos)
        break;
      std::string_view line(pending_.data() + start, end - start);
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      start = end + 1;
      if (line.empty()) {
        if (!data_.empty() || !event_.empty()) {
          if (!data_.empty() && data_.back() == '\n')
            data_.pop_back();
          const bool more = on_event(event_.empty() ? "message" : event_, data_);
          event_.clear();
          data_.clear();
          if (!more)
            return false;
        }
      } else if (line.starts_with("event:")) {
        event_ = trim(line.substr(6));
      } else if (line.starts_with("data:")) {
        data_.append(trim(line.substr(5))).append("\n");
      }
    }
    pending_.erase(0, start);
    return true;
  }

 private:
  static std::string trim(std::string_view text) {
    if (!text.empty() && text.front() == ' ')
      text.remove_prefix(1);
    return std::string(text);
  }
  std::string pending_;
  std::string event_;
  std::string data_;
};

// Reads what is left of a response body into a string.
template <typename Parser>
std::string read_rest(Connection& connection, Parser& parser) {
  std::string body;
  char chunk[4096];
  beast::error_code ec;
  while (!parser.is_done() && !ec) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    ec = connection.read_some(parser);
    if (ec == http::error::need_buffer)
      ec = {};
    body.append(chunk, sizeof chunk - parser.get().body().size);
  }
  return body;
}

}  // namespace

std::optional<ServerAddress> parse_server_url(std::string_view text, std::string& error) {
  auto url = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
  const bool known_scheme = url && (url->scheme() == "http" || url->scheme() == "https");
  if (!known_scheme || url->host().empty()) {
    error = "server URL must look like http://host:port or https://host[:port], got '" +
            std::string(text) + "'";
    return std::nullopt;
  }
  ServerAddress address;
  address.tls = url->scheme() == "https";
  address.host = url->host_address();
  address.port = url->has_port() ? std::string(url->port()) : address.tls ? "443" : "80";
  return address;
}

std::optional<HttpResponse> http_request(const ServerAddress& server, std::string_view method,
                                         std::string_view target, std::string_view json_body,
                                         std::string& error, std::chrono::seconds timeout) {
  Connection connection(server);
  if (!connection.open(timeout, error))
    return std::nullopt;
  auto request = make_request(server, method, target, json_body);
  auto ec = connection.write(request);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (!ec)
    ec = connection.read(parser);
  if (ec) {
    error = "request to the server failed: " + ec.message();
    return std::nullopt;
  }
  connection.close();
  auto response = parser.release();
  return HttpResponse{static_cast<int>(response.result_int()), std::move(response.body())};
}

int http_event_stream(const ServerAddress& server, std::string_view target,
                      const std::function<bool(std::string_view, std::string_view)>& on_event,
                      std::string& error) {
  Connection connection(server);
  if (!connection.open(std::chrono::seconds(30), error))
    return 0;
  auto request = make_request(server, "GET", target, {});
  auto ec = connection.write(request);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  if (!ec)
    ec = connection.read_header(parser);
  if (ec) {
    error = "stream request failed: " + ec.message();
    return 0;
  }
  const int status = static_cast<int>(parser.get().result_int());
  if (status != 200) {
    error = error_message(HttpResponse{status, read_rest(connection, parser)});
    return status;
  }
  EventParser events;
  char chunk[8192];
  while (!parser.is_done()) {
    // The server pings every 15 s, so a minute of silence means it is gone.
    connection.expires_after(std::chrono::seconds(60));
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    ec = connection.read_some(parser);
    if (ec == http::error::need_buffer)
      ec = {};
    if (ec) {
      error = "stream interrupted: " + ec.message();
      return status;
    }
    const std::size_t got = sizeof chunk - parser.get().body().size;
    if (!events.feed(std::string_view(chunk, got), on_event))
      break;
  }
  connection.close();
  return status;
}

std::string default_server_url() {
  const char* env = std::getenv("HEADWAY_URL");
  return env && *env ? env : "http://127.0.0.1:8000";
}

std::string default_token() {
  const char* env = std::getenv("HEADWAY_TOKEN");
  return env ? env : "";
}

std::string default_cacert() {
  const char* env = std::getenv("HEADWAY_CACERT");
  return env ? env : "";
}

std::string error_message(const HttpResponse& response) {
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec);
  if (!ec && value.is_object()) {
    for (const char* key : {"detail", "error"}) {
      const auto* field = value.as_object().if_contains(key);
      if (field && field->is_string() && !field->as_string().empty()) {
        return "HTTP " + std::to_string(response.status) + ": " + std::string(field->as_string());
      }
    }
  }
  return "HTTP " + std::to_string(response.status) +
         (response.body.empty() ? "" : ": " + response.body.substr(0, 200));
}

}  // namespace headway::cli
