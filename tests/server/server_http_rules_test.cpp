// The HTTP and WebSocket rules the real `headway serve` enforces on what it
// is sent (Host, Transfer-Encoding, Sec-WebSocket-Key, close codes, Origin)
// and the security headers on everything it answers.
#include <gtest/gtest.h>

#include <fstream>

#include "core/uuid.hpp"
#include "raw_client.hpp"
#include "server_fixture.hpp"

namespace headway::test {
namespace {

class ServerHttpRulesTest : public ::testing::Test {
 protected:
  std::string auth_line() const { return "Authorization: Bearer " + serve_.token() + "\r\n"; }
  std::string ws_path() const { return "/api/generation/ws/" + job_id_ + "/"; }
  int upgrade_status(const std::string& request) {
    RawClient client(serve_.port());
    client.send(request);
    return client.status();
  }
  void SetUp() override { ASSERT_TRUE(writer_.write(make_record(job_id_, 1))); }

  RedisServer redis_;
  ServeProcess serve_{redis_};
  RecordWriter writer_{redis_};
  const std::string job_id_ = make_uuid();
};

TEST_F(ServerHttpRulesTest, AnHttp11RequestWithoutExactlyOneHostIsRefused400) {
  const auto missing = http_request(
      serve_.port(), "GET /api/generation/health/ HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_NE(missing.body.find("\"error\":\"bad_request\""), std::string::npos);
  const auto twice = http_request(
      serve_.port(),
      "GET /api/generation/health/ HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(twice.status, 400);
  // HTTP/1.0 has no Host requirement.
  EXPECT_EQ(http_request(serve_.port(), "GET /api/generation/health/ HTTP/1.0\r\n\r\n").status,
            200);
}

TEST_F(ServerHttpRulesTest, AnUnknownTransferEncodingIsRefused501) {
  for (const std::string coding : {"gzip", "gzip, chunked", "identity", "chunked;x=1, br"}) {
    const auto response = http_request(
        serve_.port(),
        "POST /api/generation-jobs/generate/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth_line() +
            "Content-Type: application/json\r\nTransfer-Encoding: " + coding + "\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(response.status, 501) << coding;
    EXPECT_NE(response.body.find("unsupported_transfer_encoding"), std::string::npos);
    EXPECT_EQ(response.headers.at("connection"), "close");
  }
  const std::string body = R"({"type":"external"})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const auto chunked = http_request(
      serve_.port(), "POST /api/generation-jobs/generate/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                         auth_line() +
                         "Connection: close\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n" +
                         size + "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.status, 201) << chunked.body;
}

TEST_F(ServerHttpRulesTest, AWebSocketKeyThatIsNotSixteenBytesOfBase64IsRefused400) {
  for (const std::string key : {"abc", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ*=",
                                "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ==AAAA"}) {
    EXPECT_EQ(upgrade_status(websocket_upgrade(ws_path(), auth_line(), key)), 400) << key;
  }
  EXPECT_EQ(upgrade_status(websocket_upgrade(ws_path(), auth_line())), 101);
}

TEST_F(ServerHttpRulesTest, ACloseCodeNoEndpointMaySendIsAnswered1002AndAValidOneEchoed) {
  const auto answer_to = [&](std::uint16_t code) -> int {
    RawClient client(serve_.port());
    client.send(websocket_upgrade(ws_path(), auth_line()));
    client.next_frame();  // connected
    client.send(websocket_frame(8, close_payload(code) + "bye"));
    for (auto frame = client.next_frame(); frame; frame = client.next_frame()) {
      if (frame->opcode == 8 && frame->payload.size() >= 2)
        return (static_cast<unsigned char>(frame->payload[0]) << 8) |
               static_cast<unsigned char>(frame->payload[1]);
    }
    return 0;
  };
  for (const std::uint16_t invalid : {5000, 65535, 999, 1005, 1016, 2999})
    EXPECT_EQ(answer_to(invalid), 1002) << invalid;
  for (const std::uint16_t valid : {1000, 1001, 3000, 4999})
    EXPECT_EQ(answer_to(valid), valid);
}

TEST_F(ServerHttpRulesTest, AnOriginOfAnotherSchemeIsRefusedForTheWebSocket) {
  const auto with_origin = [&](const std::string& origin, const std::string& extra = {}) {
    return upgrade_status(
        websocket_upgrade(ws_path(), auth_line() + "Origin: " + origin + "\r\n" + extra));
  };
  EXPECT_EQ(with_origin("http://127.0.0.1"), 101);
  EXPECT_EQ(with_origin("https://127.0.0.1"), 403);
  EXPECT_EQ(with_origin("http://127.0.0.1:1"), 403);
  EXPECT_EQ(with_origin("null"), 403);
  // Without --trust-proxy, X-Forwarded-Proto is not believed.
  EXPECT_EQ(with_origin("https://127.0.0.1", "X-Forwarded-Proto: https\r\n"), 403);
}

TEST(ServerHttpRulesProxyTest, BehindATrustedTlsProxyOnlyTheHttpsOriginIsSameOrigin) {
  RedisServer redis;
  ServeProcess serve(redis, {"--trust-proxy"});
  RecordWriter writer(redis);
  const std::string job_id = make_uuid();
  ASSERT_TRUE(writer.write(make_record(job_id, 1)));
  const auto with_origin = [&](const std::string& origin) {
    RawClient client(serve.port());
    client.send(websocket_upgrade("/api/generation/ws/" + job_id + "/",
                                  "Authorization: Bearer " + serve.token() +
                                      "\r\nX-Forwarded-Proto: https\r\nOrigin: " + origin +
                                      "\r\n"));
    return client.status();
  };
  EXPECT_EQ(with_origin("https://127.0.0.1"), 101);
  EXPECT_EQ(with_origin("http://127.0.0.1"), 403);
}

TEST_F(ServerHttpRulesTest, ApiAnswersCarrySecurityHeaders) {
  for (const auto& response :
       {http_get(serve_.port(), "/api/generation/health/"), http_get(serve_.port(), "/metrics"),
        http_get(serve_.port(), "/api/generation-jobs/"),
        http_get(serve_.port(), "/api/nothing-here/")}) {
    EXPECT_EQ(response.headers.at("x-content-type-options"), "nosniff");
    EXPECT_EQ(response.headers.at("x-frame-options"), "DENY");
    EXPECT_EQ(response.headers.at("referrer-policy"), "no-referrer");
    EXPECT_EQ(response.headers.at("content-security-policy"),
              "default-src 'none'; frame-ancestors 'none'");
  }
}

TEST(ServerHttpRulesUiTest, TheWebUiIsServedWithAStrictContentSecurityPolicy) {
  TempDir web;
  std::filesystem::create_directories(web.path() / "assets");
  std::ofstream(web.path() / "index.html") << "<!doctype html><title>t</title>";
  std::ofstream(web.path() / "assets" / "app-1.js") << "console.log(1)";
  RedisServer redis;
  ServeProcess serve(redis, {"--web-root", web.path().string()});
  for (const std::string path : {"/", "/jobs/some-route", "/assets/app-1.js"}) {
    const auto response = http_get(serve.port(), path);
    ASSERT_EQ(response.status, 200) << path;
    const auto& csp = response.headers.at("content-security-policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
    EXPECT_EQ(response.headers.at("x-frame-options"), "DENY");
    EXPECT_EQ(response.headers.at("referrer-policy"), "no-referrer");
    EXPECT_EQ(response.headers.at("x-content-type-options"), "nosniff");
  }
}

}  // namespace
}  // namespace headway::test
