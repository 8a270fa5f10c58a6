#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

// A raw loopback TCP client for hostile-input tests: it sends exactly the
// bytes it is given (half a request, half a WebSocket frame) and leaves with
// a FIN or a reset, as the test says.
namespace headway::test {

class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& bytes);
  // Reads until `marker` arrived, EOF or `timeout`; returns all read so far.
  std::string read_until(const std::string& marker, std::chrono::milliseconds timeout);
  // Reads what arrives within `timeout` (everything until EOF, at most).
  std::string read_all(std::chrono::milliseconds timeout);
  // The HTTP status of the response head read so far (reads it if needed).
  int status(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void shutdown_write();
  // Leaves with a FIN (close) or an RST (SO_LINGER 0, then close).
  void close();
  void reset();

  // Reads the next WebSocket frame the server sent (unmasked): its opcode
  // and payload; nullopt at EOF or after `timeout`.
  struct Frame {
    int opcode = 0;
    std::string payload;
  };
  std::optional<Frame> next_frame(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  bool fill(std::chrono::milliseconds timeout);
  int fd_ = -1;
  std::string buffer_;  // read, not yet consumed by next_frame
  bool head_consumed_ = false;
};

// A masked client-to-server WebSocket frame.
std::string websocket_frame(int opcode, const std::string& payload, bool fin = true);
// The close frame payload for `code`.
std::string close_payload(std::uint16_t code);
// A WebSocket upgrade request for `path`, with `extra` header lines ("Name: value\r\n").
std::string websocket_upgrade(const std::string& path, const std::string& extra = {},
                              const std::string& key = "dGhlIHNhbXBsZSBub25jZQ==");

}  // namespace headway::test
