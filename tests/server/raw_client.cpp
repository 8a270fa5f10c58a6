#include "raw_client.hpp"

#include "server_fixture.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace headway::test {

RawClient::RawClient(int port) : fd_(connect_loopback(port)) {}

RawClient::~RawClient() {
  if (fd_ >= 0)
    ::close(fd_);
}

void RawClient::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      return;  // the server may have closed already; that is its right
    sent += static_cast<std::size_t>(n);
  }
}

bool RawClient::fill(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char chunk[16384];
  const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0)
    return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string RawClient::read_until(const std::string& marker, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.find(marker) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(left))
      break;
  }
  return buffer_;
}

std::string RawClient::read_all(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(left))
      return buffer_;
  }
}

int RawClient::status(std::chrono::milliseconds timeout) {
  const auto text = read_until("\r\n\r\n", timeout);
  if (text.size() < 12 || text.compare(0, 5, "HTTP/") != 0)
    return 0;
  return std::atoi(text.substr(9, 3).c_str());
}

void RawClient::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

void RawClient::close() {
  ::close(fd_);
  fd_ = -1;
}

void RawClient::reset() {
  linger abort{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close();
}

std::optional<RawClient::Frame> RawClient::next_frame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto need = [&](std::size_t bytes) {
    while (buffer_.size() < bytes) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !fill(left))
        return false;
    }
    return true;
  };
  if (!head_consumed_) {
    read_until("\r\n\r\n", timeout);
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos)
      return std::nullopt;
    buffer_.erase(0, end + 4);
    head_consumed_ = true;
  }
  if (!need(2))
    return std::nullopt;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffer_[i]); };
  std::size_t header = 2;
  std::uint64_t length = byte(1) & 0x7f;
  if (length == 126) {
    header = 4;
    if (!need(header))
      return std::nullopt;
    length = (std::uint64_t{byte(2)} << 8) | byte(3);
  } else if (length == 127) {
    header = 10;
    if (!need(header))
      return std::nullopt;
    length = 0;
    for (std::size_t i = 2; i < 10; ++i)
      length = (length << 8) | byte(i);
  }
  if (!need(header + length))
    return std::nullopt;
  Frame frame{byte(0) & 0x0f, buffer_.substr(header, length)};
  buffer_.erase(0, header + length);
  return frame;
}

std::string websocket_frame(int opcode, const std::string& payload, bool fin) {
  std::string frame;
  frame += static_cast<char>((fin ? 0x80 : 0) | opcode);
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>((payload.size() >> 8) & 0xff);
    frame += static_cast<char>(payload.size() & 0xff);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

std::string close_payload(std::uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

std::string websocket_upgrade(const std::string& path, const std::string& extra,
                              const std::string& key) {
  return "GET " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " +
         key + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
}

}  // namespace headway::test
