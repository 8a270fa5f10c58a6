#include "cli/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>

namespace headway::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

http::request<http::string_body> make_request(const ServerAddress& server, std::string_view method,
                                              std::string_view target, std::string_view body) {
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(http::field::host, server.host + ":" + server.port);
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

bool connect(beast::tcp_stream& stream, const ServerAddress& server, std::string& error) {
  beast::error_code ec;
  tcp::resolver resolver(stream.get_executor());
  auto endpoints = resolver.resolve(server.host, server.port, ec);
  if (!ec)
    stream.connect(endpoints, ec);
  if (ec) {
    error = "cannot reach the server at " + server.host + ":" + server.port + ": " + ec.message();
    return false;
  }
  return true;
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

}  // namespace

std::optional<ServerAddress> parse_server_url(std::string_view text, std::string& error) {
  auto url = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
  if (!url || url->scheme() != "http" || url->host().empty()) {
    error = "server URL must look like http://host:port, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  ServerAddress address;
  address.host = url->host_address();
  address.port = url->has_port() ? std::string(url->port()) : "80";
  return address;
}

std::optional<HttpResponse> http_request(const ServerAddress& server, std::string_view method,
                                         std::string_view target, std::string_view json_body,
                                         std::string& error, std::chrono::seconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  if (!connect(stream, server, error))
    return std::nullopt;
  beast::error_code ec;
  http::write(stream, make_request(server, method, target, json_body), ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!ec)
    http::read(stream, buffer, response, ec);
  if (ec) {
    error = "request to the server failed: " + ec.message();
    return std::nullopt;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return HttpResponse{static_cast<int>(response.result_int()), std::move(response.body())};
}

int http_event_stream(const ServerAddress& server, std::string_view target,
                      const std::function<bool(std::string_view, std::string_view)>& on_event,
                      std::string& error) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  if (!connect(stream, server, error))
    return 0;
  beast::error_code ec;
  http::write(stream, make_request(server, "GET", target, {}), ec);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  if (!ec)
    http::read_header(stream, buffer, parser, ec);
  if (ec) {
    error = "stream request failed: " + ec.message();
    return 0;
  }
  const int status = static_cast<int>(parser.get().result_int());
  if (status != 200) {
    std::string body;
    char chunk[4096];
    while (!parser.is_done() && !ec) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      http::read(stream, buffer, parser, ec);
      if (ec == http::error::need_buffer)
        ec = {};
      body.append(chunk, sizeof chunk - parser.get().body().size);
    }
    error = error_message(HttpResponse{status, body});
    return status;
  }
  EventParser events;
  char chunk[8192];
  while (!parser.is_done()) {
    // The server pings every 15 s, so a minute of silence means it is gone.
    stream.expires_after(std::chrono::seconds(60));
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    http::read(stream, buffer, parser, ec);
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
