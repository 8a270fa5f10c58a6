#pragma once

#include <boost/beast/websocket/teardown.hpp>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "server/asio_types.hpp"

namespace headway::server {

// Whether a client may send `code` in a close frame (RFC 6455 7.4): the
// defined codes 1000-1003 and 1007-1011, the IANA-registered 1012-1014, and
// 3000-4999 (libraries, applications). Beast also lets 5000 and above pass.
constexpr bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// The layer under the server's WebSocket streams: a beast::tcp_stream whose
// writes are followed frame by frame, so that a close frame echoing a code
// no endpoint may send (Beast answers a client's close with the client's own
// code) goes out as 1002, protocol error, instead. Reads pass through.
//
// Not thread-safe: used by one WebSocket stream on its own thread.
class CloseCodeFilter {
 public:
  using executor_type = beast::tcp_stream::executor_type;
  using next_layer_type = beast::tcp_stream;

  explicit CloseCodeFilter(beast::tcp_stream&& stream) : next_(std::move(stream)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return next_.async_read_some(buffers, std::forward<Token>(token));
  }

  // Frames begin after the handshake's HTTP response: call once the
  // upgrade is complete. Until then writes pass through untouched.
  void start_framing() { framing_ = true; }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    if (!framing_)
      return next_.async_write_some(buffers, std::forward<Token>(token));
    if (frame_left_ == 0)
      begin_frame(buffers);
    patched_.clear();
    if (patch_ && frame_offset_ < kCodeEnd) {
      patched_ = with_code_replaced(buffers);
      return write_tracked(patched_, std::forward<Token>(token));
    }
    return write_tracked(buffers, std::forward<Token>(token));
  }

 private:
  static constexpr std::size_t kCodeEnd = 4;  // a short close frame: 2 header bytes, 2 code bytes

  // Reads the header of the frame that starts `buffers`: its length, and
  // whether it is a close frame whose code must be replaced.
  template <typename ConstBuffers>
  void begin_frame(const ConstBuffers& buffers) {
    std::array<unsigned char, 10> head{};
    const std::size_t seen = asio::buffer_copy(asio::buffer(head), buffers);
    frame_offset_ = 0;
    patch_ = false;
    if (seen < 2) {
      frame_left_ = seen;  // cannot happen with Beast: it writes whole frames
      return;
    }
    const std::uint64_t short_length = head[1] & 0x7f;
    std::uint64_t header = 2;
    std::uint64_t length = short_length;
    if (short_length == 126) {
      header = 4;
      length = (std::uint64_t{head[2]} << 8) | head[3];
    } else if (short_length == 127) {
      header = 10;
      length = 0;
      for (int i = 2; i < 10; ++i)
        length = (length << 8) | head[i];
    }
    frame_left_ = header + length;
    const bool close = (head[0] & 0x0f) == 0x8;
    if (close && short_length >= 2 && short_length <= 125 && seen >= kCodeEnd) {
      const auto code = static_cast<std::uint16_t>((head[2] << 8) | head[3]);
      patch_ = !is_valid_close_code(code);
    }
  }

  // The buffers with the code bytes (frame offsets 2 and 3) set to 1002.
  template <typename ConstBuffers>
  std::vector<asio::const_buffer> with_code_replaced(const ConstBuffers& buffers) {
    // Bytes of the frame's first four still to be written, the code patched.
    std::array<unsigned char, kCodeEnd> start{};
    const std::size_t prefix = kCodeEnd - frame_offset_;
    asio::buffer_copy(asio::buffer(start.data(), prefix), buffers);
    std::array<unsigned char, kCodeEnd> frame_start{};
    std::copy(start.begin(), start.begin() + static_cast<std::ptrdiff_t>(prefix),
              frame_start.begin() + static_cast<std::ptrdiff_t>(frame_offset_));
    frame_start[2] = 1002 >> 8;
    frame_start[3] = 1002 & 0xff;
    std::copy(frame_start.begin() + static_cast<std::ptrdiff_t>(frame_offset_), frame_start.end(),
              patch_bytes_.begin());
    std::vector<asio::const_buffer> out{asio::buffer(patch_bytes_.data(), prefix)};
    std::size_t skip = prefix;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      asio::const_buffer piece(*it);
      const std::size_t dropped = std::min(skip, piece.size());
      piece += dropped;
      skip -= dropped;
      if (piece.size() > 0)
        out.push_back(piece);
    }
    return out;
  }

  template <typename ConstBuffers, typename Token>
  auto write_tracked(const ConstBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(error_code, std::size_t)>(
        [this, buffers, started = false](auto& self, error_code ec = {},
                                         std::size_t written = 0) mutable {
          if (!started) {
            started = true;
            next_.async_write_some(buffers, std::move(self));
            return;
          }
          advance(written);
          self.complete(ec, written);
        },
        token, next_);
  }

  void advance(std::size_t written) {
    frame_offset_ += written;
    frame_left_ = written >= frame_left_ ? 0 : frame_left_ - written;
    if (frame_left_ == 0)
      patch_ = false;
  }

  friend void teardown(beast::role_type role, CloseCodeFilter& stream, error_code& ec) {
    using beast::websocket::teardown;
    teardown(role, stream.next_, ec);
  }
  template <typename Handler>
  friend void async_teardown(beast::role_type role, CloseCodeFilter& stream, Handler&& handler) {
    using beast::websocket::async_teardown;
    async_teardown(role, stream.next_, std::forward<Handler>(handler));
  }

  beast::tcp_stream next_;
  bool framing_ = false;
  std::uint64_t frame_left_ = 0;    // bytes of the current frame not yet written
  std::uint64_t frame_offset_ = 0;  // bytes of it written
  bool patch_ = false;              // its close code must go out as 1002
  std::array<unsigned char, kCodeEnd> patch_bytes_{};
  std::vector<asio::const_buffer> patched_;
};

}  // namespace headway::server
