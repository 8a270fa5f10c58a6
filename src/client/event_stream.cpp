#include "client/event_stream.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <random>

namespace headway::client {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data())
    return std::nullopt;
  return value;
}

ResponseHead::State ResponseHead::take(std::string& buffer) {
  const auto end = buffer.find("\r\n\r\n");
  if (end == std::string::npos)
    return buffer.size() > kMaxSize ? State::malformed : State::incomplete;
  // "HTTP/1.1 200 OK"
  const auto status = end >= 12 && buffer.starts_with("HTTP/1.")
                          ? parse_int(std::string_view(buffer).substr(9, 3))
                          : std::nullopt;
  status_ = static_cast<int>(status.value_or(0));
  buffer.erase(0, end + 4);
  return status ? State::complete : State::malformed;
}

StreamEvent parse_sse_event(std::string_view block) {
  StreamEvent event;
  while (!block.empty()) {
    const auto eol = block.find('\n');
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 1);
    if (line == ": ping" && event.type.empty())
      event.type = "ping";
    else if (line.starts_with("event: "))
      event.type = line.substr(7);
    else if (line.starts_with("id: "))
      event.id = line.substr(4);
    else if (line.starts_with("data: ") && event.data.empty())
      event.data = line.substr(6);
  }
  return event;
}

std::string websocket_request(std::string_view host, std::string_view path,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request = "GET ";
  request += path;
  request += " HTTP/1.1\r\nHost: ";
  request += host;
  // Any 16 bytes will do: the client here checks the answer's status, not its
  // Sec-WebSocket-Accept.
  request +=
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
      "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  request += "\r\n";
  return request;
}

std::string websocket_client_frame(std::uint8_t opcode, std::string_view payload) {
  static thread_local std::minstd_rand random{std::random_device{}()};
  std::string frame;
  frame += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xFF);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      frame += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xFF);
  }
  char mask[4];
  for (auto& byte : mask)
    byte = static_cast<char>(random() & 0xFF);
  frame.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

std::size_t WsReader::next_frame(std::string_view bytes, std::uint8_t& opcode, bool& fin,
                                 std::string_view& payload) {
  if (bytes.size() < 2)
    return 0;
  const auto first = static_cast<std::uint8_t>(bytes[0]);
  const auto second = static_cast<std::uint8_t>(bytes[1]);
  fin = (first & 0x80) != 0;
  opcode = first & 0x0F;
  if ((second & 0x80) != 0 || (first & 0x70) != 0)
    return std::string::npos;  // a masked server frame, or extension bits nobody agreed on
  std::size_t header = 2;
  std::uint64_t length = second & 0x7F;
  if (length >= 126) {
    const std::size_t extra = length == 126 ? 2 : 8;
    if (bytes.size() < header + extra)
      return 0;
    length = 0;
    for (std::size_t i = 0; i < extra; ++i)
      length = (length << 8) | static_cast<std::uint8_t>(bytes[header + i]);
    header += extra;
  }
  if (length > (1u << 26))
    return std::string::npos;
  if (bytes.size() < header + length)
    return 0;
  payload = bytes.substr(header, static_cast<std::size_t>(length));
  return header + static_cast<std::size_t>(length);
}

std::optional<WsEvent> parse_ws_event(std::string_view message) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(message, ec);
  if (ec || !value.is_object())
    return std::nullopt;
  const auto& object = value.as_object();
  const auto* type = object.if_contains("event");
  if (type == nullptr || !type->is_string())
    return std::nullopt;
  WsEvent event;
  event.type = type->as_string();
  if (const auto* id = object.if_contains("id"); id != nullptr && !id->is_null())
    event.id = id->is_string() ? std::string(id->as_string()) : boost::json::serialize(*id);
  if (const auto* data = object.if_contains("data"))
    event.data = boost::json::serialize(*data);
  return event;
}

}  // namespace headway::client
