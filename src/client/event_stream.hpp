#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Incremental readers for the server's two stream transports: an HTTP
// response head followed by SSE events, or by WebSocket frames. They own no
// socket: the caller feeds them what it read, so one thread can drive
// thousands of them from one epoll set. Not thread-safe; one per stream.
namespace headway::client {

// One event of a progress stream. The views point into the reader's buffer
// and are valid only during the callback that received them.
struct StreamEvent {
  std::string_view type;  // "connected", "progress", "done"; "ping" for a `: ping` comment
  std::string_view id;    // the SSE `id:` (the record's seq), empty when absent
  std::string_view data;  // the first `data:` line (the server sends one per event)
};

// Parses a decimal integer that fills all of `text`.
std::optional<std::int64_t> parse_int(std::string_view text);

// The response head: status line and header block, up to the blank line.
class ResponseHead {
 public:
  // A head larger than this is not the server's.
  static constexpr std::size_t kMaxSize = 16 * 1024;
  enum class State { incomplete, complete, malformed };

  // Looks for the end of the head in `buffer`; on `complete` the head's bytes
  // have been erased from it, so what follows (events, frames) stays there.
  State take(std::string& buffer);
  int status() const { return status_; }

 private:
  int status_ = 0;
};

// An SSE response (`text/event-stream`).
class SseReader {
 public:
  enum class Result { ok, head_failed };

  // Appends `bytes`, reads the head once it is complete, then calls
  // `on_event(const StreamEvent&)` for every complete event in order while
  // it returns true. `head_failed`: a status other than 200 (see status();
  // 0 for a malformed or oversized head).
  template <typename OnEvent>
  Result feed(std::string_view bytes, OnEvent&& on_event);

  bool head_read() const { return head_read_; }
  int status() const { return head_.status(); }
  // Frees the buffer (the stream has ended).
  void release() { std::string().swap(pending_); }

 private:
  std::string pending_;
  ResponseHead head_;
  bool head_read_ = false;
};

// Parses one SSE event block (the text between blank lines).
StreamEvent parse_sse_event(std::string_view block);

// The client's opening handshake of a WebSocket on `path`, with `headers`
// ("Name: value" pairs) added.
std::string websocket_request(std::string_view host, std::string_view path,
                              const std::vector<std::pair<std::string, std::string>>& headers);

// One frame from the client to the server (masked, as RFC 6455 requires).
std::string websocket_client_frame(std::uint8_t opcode, std::string_view payload);

// A WebSocket connection's server side as the client reads it: the 101 head,
// then frames (unmasked, as servers send them; fragments joined).
class WsReader {
 public:
  static constexpr std::uint8_t kText = 0x1;
  static constexpr std::uint8_t kClose = 0x8;
  static constexpr std::uint8_t kPing = 0x9;
  static constexpr std::uint8_t kPong = 0xA;
  enum class Result { ok, head_failed, protocol_error };

  // Appends `bytes`; after the head, calls `on_message(opcode, payload)` for
  // every complete message or control frame while it returns true.
  template <typename OnMessage>
  Result feed(std::string_view bytes, OnMessage&& on_message);

  bool head_read() const { return head_read_; }
  int status() const { return head_.status(); }
  void release() {
    std::string().swap(pending_);
    std::string().swap(message_);
  }

 private:
  // The frame at the front of `bytes`: its size in bytes (0: incomplete,
  // npos: malformed), its opcode, FIN bit and payload (a view into `bytes`).
  static std::size_t next_frame(std::string_view bytes, std::uint8_t& opcode, bool& fin,
                                std::string_view& payload);

  std::string pending_;
  std::string message_;  // fragments of an unfinished message
  std::uint8_t message_opcode_ = 0;
  ResponseHead head_;
  bool head_read_ = false;
};

// The fields of a WebSocket message `{"event":..,"id":..,"data":..}`;
// nullopt when it is not one. `id` is empty when null; `data` is the raw JSON
// of the data member.
struct WsEvent {
  std::string type;
  std::string id;
  std::string data;
};
std::optional<WsEvent> parse_ws_event(std::string_view message);

template <typename OnEvent>
SseReader::Result SseReader::feed(std::string_view bytes, OnEvent&& on_event) {
  pending_.append(bytes);
  if (!head_read_) {
    const auto state = head_.take(pending_);
    if (state == ResponseHead::State::incomplete)
      return Result::ok;
    if (state == ResponseHead::State::malformed || head_.status() != 200)
      return Result::head_failed;
    head_read_ = true;
  }
  std::size_t start = 0;
  for (;;) {
    const auto end = pending_.find("\n\n", start);
    if (end == std::string::npos)
      break;
    const bool go_on =
        on_event(parse_sse_event(std::string_view(pending_).substr(start, end - start)));
    start = end + 2;
    if (!go_on)
      break;
  }
  pending_.erase(0, start);
  return Result::ok;
}

template <typename OnMessage>
WsReader::Result WsReader::feed(std::string_view bytes, OnMessage&& on_message) {
  pending_.append(bytes);
  if (!head_read_) {
    const auto state = head_.take(pending_);
    if (state == ResponseHead::State::incomplete)
      return Result::ok;
    if (state == ResponseHead::State::malformed || head_.status() != 101)
      return Result::head_failed;
    head_read_ = true;
  }
  std::size_t used = 0;
  for (;;) {
    std::uint8_t opcode = 0;
    bool fin = false;
    std::string_view payload;
    const std::size_t size =
        next_frame(std::string_view(pending_).substr(used), opcode, fin, payload);
    if (size == 0)
      break;
    if (size == std::string::npos)
      return Result::protocol_error;
    used += size;
    bool go_on = true;
    if (opcode >= 0x8) {
      go_on = on_message(opcode, payload);
    } else {
      if (opcode != 0)
        message_opcode_ = opcode;
      message_.append(payload);
      if (fin) {
        go_on = on_message(message_opcode_, std::string_view(message_));
        message_.clear();
      }
    }
    if (!go_on)
      break;
  }
  pending_.erase(0, used);
  return Result::ok;
}

}  // namespace headway::client
