// The built web UI as `headway serve --web-root DIR` serves it (docs/server.md,
// "Endpoints"; web/README.md), over real loopback HTTP, from a temp dir of files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server_fixture.hpp"

namespace headway::test {
namespace {

namespace fs = std::filesystem;

const std::string kIndex = "<!doctype html><title>headway</title><div id=root></div>";
const std::string kScript = "console.log('app');";
const std::string kSecret = "the secret outside the web root";

void write(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
}

HttpResponse raw(int port, const std::string& method, const std::string& target) {
  return http_request(
      port, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    // dir/secret.txt is outside the root dir/dist; dist/escape links to it.
    write(dir_.path() / "secret.txt", kSecret);
    write(root_ / "index.html", kIndex);
    write(root_ / "assets" / "index-C8Gg2kYB.js", kScript);
    write(root_ / "assets" / "index-CXYMuAfh.css", "body{margin:0}");
    write(root_ / "assets" / "index-C8Gg2kYB.js.map", "{}");
    write(root_ / "favicon.svg", "<svg/>");
    write(root_ / "docs" / "readme.txt", "inside");
    fs::create_symlink(dir_.path() / "secret.txt", root_ / "escape.txt");
    serve_ = std::make_unique<ServeProcess>(redis_,
                                            std::vector<std::string>{"--web-root", root_.string()});
  }
  int port() const { return serve_->port(); }

  RedisServer redis_;
  TempDir dir_;
  fs::path root_ = dir_.path() / "dist";
  std::unique_ptr<ServeProcess> serve_;
};

TEST_F(StaticFilesTest, IndexIsServedWithoutCaching) {
  auto index = http_get(port(), "/");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.body, kIndex);
  EXPECT_EQ(index.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.headers.at("cache-control"), "no-cache");
  EXPECT_EQ(http_get(port(), "/index.html").body, kIndex);
}

TEST_F(StaticFilesTest, HashedAssetsHaveTheirTypeAndAreCachedForAYear) {
  auto script = http_get(port(), "/assets/index-C8Gg2kYB.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.body, kScript);
  EXPECT_EQ(script.headers.at("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers.at("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(script.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(http_get(port(), "/assets/index-CXYMuAfh.css").headers.at("content-type"),
            "text/css; charset=utf-8");
  EXPECT_EQ(http_get(port(), "/assets/index-C8Gg2kYB.js.map").headers.at("content-type"),
            "application/json");
  auto icon = http_get(port(), "/favicon.svg");
  EXPECT_EQ(icon.headers.at("content-type"), "image/svg+xml");
  EXPECT_EQ(icon.headers.at("cache-control"), "no-cache");  // not hashed
}

TEST_F(StaticFilesTest, ClientSideRoutesGetIndexHtml) {
  for (const char* path : {"/admin/timetables/", "/admin/timetables/generate/",
                           "/admin/timetables/status/6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",
                           "/login?next=%2Fadmin%2Ftimetables%2F"}) {
    auto page = http_get(port(), path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body, kIndex) << path;
    EXPECT_EQ(page.headers.at("cache-control"), "no-cache") << path;
  }
}

TEST_F(StaticFilesTest, DirectoriesAreNeverListed) {
  for (const char* path : {"/docs/", "/docs", "/assets"}) {
    auto page = http_get(port(), path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body, kIndex) << path;
  }
  // A stale hashed asset is a 404, never index.html run as a script.
  auto stale = http_get(port(), "/assets/index-OLDHASH.js");
  EXPECT_EQ(stale.status, 404);
  EXPECT_EQ(stale.headers.at("content-type"), "application/json");
  EXPECT_EQ(http_get(port(), "/assets/").status, 404);
}

TEST_F(StaticFilesTest, HeadAnswersTheHeadersOfGetWithoutABody) {
  auto head = raw(port(), "HEAD", "/assets/index-C8Gg2kYB.js");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.at("content-length"), std::to_string(kScript.size()));
  EXPECT_EQ(head.headers.at("content-type"), "text/javascript; charset=utf-8");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(raw(port(), "HEAD", "/admin/timetables/").headers.at("content-length"),
            std::to_string(kIndex.size()));
}

TEST_F(StaticFilesTest, PathsThatTryToLeaveTheRootAreRejected) {
  for (const char* target :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/..%2fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/.%2e/secret.txt", "//etc/passwd",
        "/%2fetc%2fpasswd", "/assets//index-C8Gg2kYB.js", "/index.html%00.js", "/..%5csecret.txt",
        "/./index.html", "/%zz", "/%2"}) {
    auto response = raw(port(), "GET", target);
    EXPECT_EQ(response.status, 400) << target;
    EXPECT_EQ(response.body.find(kSecret), std::string::npos) << target;
  }
  // Absolute-form targets are not paths under the root either.
  EXPECT_EQ(raw(port(), "GET", "http://127.0.0.1/etc/passwd").status, 404);
  // A symlink out of the root is not followed.
  auto link = http_get(port(), "/escape.txt");
  EXPECT_EQ(link.body.find(kSecret), std::string::npos);
}

TEST_F(StaticFilesTest, TheApiAndMetricsKeepTheirOwnAnswers) {
  auto unknown = http_get(port(), "/api/nothing/here/");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.headers.at("content-type"), "application/json");
  EXPECT_EQ(http_get(port(), "/api").status, 404);
  EXPECT_EQ(http_get(port(), "/api/generation/health/").status, 200);
  EXPECT_EQ(http_get(port(), "/metrics", serve_->auth()).status, 200);
  // Other methods on UI paths are not 405 (there is no such endpoint).
  auto post = http_request(port(),
                           "POST /admin/timetables/ HTTP/1.1\r\nHost: x\r\n"
                           "Connection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status, 404);
}

TEST(StaticFilesDefaultTest, WithoutABuiltUiTheServerSaysHowToBuildIt) {
  RedisServer redis;
  ServeProcess serve(redis);  // runs where there is no web/dist
  auto page = http_get(serve.port(), "/");
  EXPECT_EQ(page.status, 404);
  EXPECT_NE(page.body.find("no_web_ui"), std::string::npos);
}

}  // namespace
}  // namespace headway::test
