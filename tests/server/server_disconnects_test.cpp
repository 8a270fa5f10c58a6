// Clients that leave abruptly or oddly, against the real `headway serve`:
// every connection and stream they opened must be gone from the gauges once
// they left, and SIGTERM must not wait for any of them. Timeouts are set far
// beyond the test's bounds, so nothing here passes by a timeout cleaning up.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/uuid.hpp"
#include "raw_client.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

const std::vector<std::string> kPatientServer = {
    "--write-timeout", "600s", "--ping-interval", "600s",
    "--idle-timeout",  "600s", "--drain-timeout", "600s"};

class ServerDisconnectsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(writer_.write(make_record(job_id_, 1))); }

  std::string auth_line() const { return "Authorization: Bearer " + serve_.token() + "\r\n"; }
  std::string sse_request(const std::string& job_id) const {
    return "GET " + stream_path(job_id) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth_line() + "\r\n";
  }
  std::string ws_request(const std::string& job_id) const {
    return websocket_upgrade("/api/generation/ws/" + job_id + "/", auth_line());
  }
  // A WebSocket that got its `connected` message.
  std::unique_ptr<RawClient> open_websocket(const std::string& job_id) {
    auto client = std::make_unique<RawClient>(serve_.port());
    client->send(ws_request(job_id));
    auto connected = client->next_frame();
    EXPECT_TRUE(connected && connected->payload.find("connected") != std::string::npos);
    return client;
  }
  std::unique_ptr<RawClient> open_sse(const std::string& job_id) {
    auto client = std::make_unique<RawClient>(serve_.port());
    client->send(sse_request(job_id));
    EXPECT_NE(client->read_until("event: connected", 20s).find("event: connected"),
              std::string::npos);
    return client;
  }

  // True once only the scrape itself is open and no stream is counted.
  bool gauges_back_to_zero() {
    const auto text = http_get(serve_.port(), "/metrics").body;
    last_metrics_ = text;
    return metric(text, "headway_connections_open") == 1 &&
           metric(text, "headway_streams_active{transport=\"sse\"}") == 0 &&
           metric(text, "headway_streams_active{transport=\"websocket\"}") == 0;
  }

  RedisServer redis_;
  ServeProcess serve_{redis_, kPatientServer};
  RecordWriter writer_{redis_};
  const std::string job_id_ = make_uuid();
  std::string last_metrics_;
};

TEST_F(ServerDisconnectsTest, AbruptAndOddDisconnectsLeaveNoPhantomConnectionsOrStreams) {
  const int port = serve_.port();
  const std::string masked = websocket_frame(1, std::string(200, 'x'));
  using Leave = std::function<void(RawClient&)>;
  const Leave fin = [](RawClient& c) { c.close(); };
  const Leave rst = [](RawClient& c) { c.reset(); };
  std::vector<std::function<void(const Leave&)>> cases = {
      // SSE: after `connected`, at once after the request, half-closed, pipelined.
      [&](const Leave& leave) { leave(*open_sse(job_id_)); },
      [&](const Leave& leave) {
        RawClient c(port);
        c.send(sse_request(job_id_));
        leave(c);
      },
      [&](const Leave& leave) {
        auto c = open_sse(job_id_);
        c->shutdown_write();
        leave(*c);
      },
      [&](const Leave& leave) {
        RawClient c(port);
        c.send(sse_request(job_id_) + sse_request(job_id_) + "GET /metrics HTTP/1.1\r\n\r\n");
        c.read_until("event: connected", 20s);
        leave(c);
      },
      // Mid-request: half a request line, half the headers, a truncated body.
      [&](const Leave& leave) {
        RawClient c(port);
        c.send("GET /api/gen");
        leave(c);
      },
      [&](const Leave& leave) {
        RawClient c(port);
        c.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
        leave(c);
      },
      [&](const Leave& leave) {
        RawClient c(port);
        c.send("POST /api/generation-jobs/generate/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth_line() +
               "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ty");
        leave(c);
      },
      // Pipelined requests, the client gone before reading the answers.
      [&](const Leave& leave) {
        RawClient c(port);
        std::string many;
        for (int i = 0; i < 20; ++i)
          many += "GET /api/generation/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        c.send(many);
        leave(c);
      },
      // WebSocket: half an upgrade, an upgrade and gone, and then mid-frame.
      [&](const Leave& leave) {
        RawClient c(port);
        c.send(ws_request(job_id_).substr(0, 60));
        leave(c);
      },
      [&](const Leave& leave) {
        RawClient c(port);
        c.send(ws_request(job_id_));
        leave(c);
      },
      [&](const Leave& leave) { leave(*open_websocket(job_id_)); },
      [&](const Leave& leave) {
        auto c = open_websocket(job_id_);
        c->send(masked.substr(0, 1));  // half a frame header
        leave(*c);
      },
      [&](const Leave& leave) {
        auto c = open_websocket(job_id_);
        c->send(masked.substr(0, 30));  // a masked frame cut short
        leave(*c);
      },
      [&](const Leave& leave) {
        auto c = open_websocket(job_id_);
        c->send(websocket_frame(9, "ping") + websocket_frame(1, "a", false));
        leave(*c);
      },
      [&](const Leave& leave) {
        auto c = open_websocket(job_id_);
        c->send(websocket_frame(8, close_payload(1000)));
        leave(*c);
      },
      [&](const Leave& leave) {
        auto c = open_websocket(job_id_);
        c->send("\xff\xff\xff garbage");
        leave(*c);
      },
  };
  for (int round = 0; round < 3; ++round) {
    for (const auto& run : cases) {
      run(fin);
      run(rst);
    }
  }

  // Streams the server ends itself (`done`), with clients that answer the
  // close frame but keep their socket, or never answer it at all.
  std::vector<std::unique_ptr<RawClient>> lingering;
  for (int i = 0; i < 3; ++i) {
    const std::string job_id = make_uuid();
    ASSERT_TRUE(writer_.write(make_record(job_id, 1)));
    auto answers = open_websocket(job_id);
    auto silent = open_websocket(job_id);
    auto sse = open_sse(job_id);
    ASSERT_TRUE(writer_.write(make_record(job_id, 2, JobStatus::completed, 100), true));
    for (;;) {
      auto frame = answers->next_frame();
      ASSERT_TRUE(frame) << "no close frame after done";
      if (frame->opcode == 8)
        break;
    }
    answers->send(websocket_frame(8, close_payload(1000)));
    lingering.push_back(std::move(answers));
    lingering.push_back(std::move(silent));
    lingering.push_back(std::move(sse));
  }

  EXPECT_TRUE(eventually([&] { return gauges_back_to_zero(); }, 60s, 100ms)) << last_metrics_;
  EXPECT_TRUE(serve_.process().poll() == std::nullopt);  // never crashed
}

TEST_F(ServerDisconnectsTest, SigtermEndsEveryKindOfConnectionWithoutWaitingTheDrainTimeout) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(open_sse(job_id_));
    clients.push_back(open_websocket(job_id_));  // never answers the close frame
    auto half_line = std::make_unique<RawClient>(serve_.port());
    half_line->send("GET /api/gen");
    clients.push_back(std::move(half_line));
    auto half_upgrade = std::make_unique<RawClient>(serve_.port());
    half_upgrade->send(ws_request(job_id_).substr(0, 80));
    clients.push_back(std::move(half_upgrade));
    auto keep_alive = std::make_unique<RawClient>(serve_.port());
    keep_alive->send("GET /api/generation/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_EQ(keep_alive->status(), 200);
    clients.push_back(std::move(keep_alive));
  }
  ASSERT_TRUE(eventually([&] {
    return metric(http_get(serve_.port(), "/metrics").body, "headway_connections_open") == 16;
  }));

  serve_.process().signal(SIGTERM);
  // The drain timeout is ten minutes; the bound here is a fraction of it, so
  // an exit within it means no connection was waited for until the end.
  const int status = serve_.process().wait(120s);
  EXPECT_EQ(status, 0) << serve_.log();
  EXPECT_EQ(serve_.log().find("still open after the drain timeout"), std::string::npos)
      << serve_.log();
}

}  // namespace
}  // namespace headway::test
