// The stream readers that the load tool and the chaos suite drive: whatever
// way the bytes are cut, the same events come out.
#include "client/event_stream.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace headway::client {
namespace {

const std::string kSseResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    "retry: 3000\n\nevent: connected\ndata: {\"job_id\":\"a\"}\n\n: ping\n\n"
    "event: progress\nid: 7\ndata: {\"seq\":7}\n\nevent: done\ndata: "
    "{\"status\":\"completed\"}\n\n";

std::vector<std::string> sse_events(const std::string& bytes, std::size_t chunk) {
  SseReader reader;
  std::vector<std::string> seen;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    const auto result = reader.feed(std::string_view(bytes).substr(at, chunk), [&](const auto& e) {
      seen.push_back(std::string(e.type) + "|" + std::string(e.id) + "|" + std::string(e.data));
      return true;
    });
    EXPECT_EQ(result, SseReader::Result::ok);
  }
  EXPECT_TRUE(reader.head_read());
  return seen;
}

TEST(EventStreamTest, SseEventsAreTheSameWhateverTheChunking) {
  const std::vector<std::string> expected = {"||", "connected||{\"job_id\":\"a\"}", "ping||",
                                             "progress|7|{\"seq\":7}",
                                             "done||{\"status\":\"completed\"}"};
  for (std::size_t chunk : {1u, 2u, 7u, 64u, 4096u})
    EXPECT_EQ(sse_events(kSseResponse, chunk), expected) << "chunks of " << chunk;
}

TEST(EventStreamTest, SseReaderStopsWhenTheCallbackSaysSo) {
  SseReader reader;
  int calls = 0;
  reader.feed(kSseResponse, [&](const auto&) { return ++calls < 2; });
  EXPECT_EQ(calls, 2);
}

TEST(EventStreamTest, SseReaderReportsAStatusOtherThan200) {
  SseReader reader;
  const auto result =
      reader.feed("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", [](const auto&) {
        ADD_FAILURE() << "no event in a 503";
        return true;
      });
  EXPECT_EQ(result, SseReader::Result::head_failed);
  EXPECT_EQ(reader.status(), 503);
  SseReader garbage;
  EXPECT_EQ(
      garbage.feed(std::string(ResponseHead::kMaxSize + 1, 'x'), [](const auto&) { return true; }),
      SseReader::Result::head_failed);
  EXPECT_EQ(garbage.status(), 0);
}

// A server frame: FIN + opcode, unmasked length, payload.
std::string server_frame(std::uint8_t first, const std::string& payload) {
  std::string frame(1, static_cast<char>(first));
  if (payload.size() < 126) {
    frame += static_cast<char>(payload.size());
  } else {
    frame += static_cast<char>(126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xFF);
  }
  return frame + payload;
}

TEST(EventStreamTest, WebSocketMessagesAcrossChunksAndFragments) {
  const std::string big(300, 'x');
  const std::string bytes = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n" +
                            server_frame(0x81, R"({"event":"connected","id":null,"data":{}})") +
                            server_frame(0x01, R"({"event":"progress",)") +  // fragment
                            server_frame(0x89, "hi") +                       // ping between them
                            server_frame(0x80, R"("id":5,"data":{"seq":5}})") +
                            server_frame(0x81, big) + server_frame(0x88, "");
  for (std::size_t chunk : {1u, 3u, 50u, 4096u}) {
    WsReader reader;
    std::vector<std::string> seen;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      const auto result =
          reader.feed(std::string_view(bytes).substr(at, chunk), [&](auto opcode, auto payload) {
            seen.push_back(std::to_string(opcode) + ":" + std::string(payload));
            return true;
          });
      ASSERT_EQ(result, WsReader::Result::ok);
    }
    ASSERT_EQ(seen.size(), 5u) << "chunks of " << chunk;
    EXPECT_EQ(seen[0], R"(1:{"event":"connected","id":null,"data":{}})");
    EXPECT_EQ(seen[1], "9:hi");
    EXPECT_EQ(seen[2], R"(1:{"event":"progress","id":5,"data":{"seq":5}})");
    EXPECT_EQ(seen[3], "1:" + big);
    EXPECT_EQ(seen[4], "8:");
  }
}

TEST(EventStreamTest, WebSocketEventsParseTheirFields) {
  const auto progress = parse_ws_event(R"({"event":"progress","id":12,"data":{"seq":12}})");
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->type, "progress");
  EXPECT_EQ(progress->id, "12");
  EXPECT_EQ(progress->data, R"({"seq":12})");
  const auto done = parse_ws_event(R"({"event":"done","id":null,"data":{"status":"failed"}})");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->id, "");
  EXPECT_FALSE(parse_ws_event("not json"));
  EXPECT_FALSE(parse_ws_event(R"({"id":1})"));
}

TEST(EventStreamTest, ClientFramesAreMasked) {
  const auto frame = websocket_client_frame(WsReader::kPong, "abc");
  ASSERT_EQ(frame.size(), 2u + 4u + 3u);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[0]), 0x8A);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[1]), 0x80 | 3);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(static_cast<char>(frame[6 + i] ^ frame[2 + i % 4]), "abc"[i]);
}

}  // namespace
}  // namespace headway::client
