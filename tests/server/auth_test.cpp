// Authentication and ownership (docs/auth.md) against the real
// `headway serve`, a real redis-server and a real job table: SQLite and
// PostgreSQL (one private cluster for this program).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <latch>
#include <memory>
#include <regex>
#include <set>
#include <thread>

#include "auth/accounts.hpp"
#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "auth/stream_token.hpp"
#include "core/uuid.hpp"
#include "redis/keys.hpp"
#include "server_fixture.hpp"
#include "support/test_databases.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

// The status a stream or WebSocket route answers with (the head only).
int stream_status(int port, const std::string& path, Headers headers, bool websocket) {
  if (websocket) {
    headers.emplace_back("Upgrade", "websocket");
    headers.emplace_back("Connection", "Upgrade");
    headers.emplace_back("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    headers.emplace_back("Sec-WebSocket-Version", "13");
  }
  SseClient client(port, path, headers);
  return client.status();
}

// A WebSocket handshake whose answer is read whole: it asks the server to
// close afterwards, which only an error answer (not 101) does.
HttpResponse websocket_request(int port, const std::string& path, const Headers& headers) {
  std::string request = "GET " + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, close\r\n"
                        "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  return http_request(port, request + "\r\n");
}

struct Login {
  int status = 0;
  std::string cookie;  // "headway_session=..."
  std::string csrf;
  HttpResponse response;
};

Login login(int port, const std::string& user, const std::string& password,
            const Headers& extra = {}) {
  Headers headers{{"Content-Type", "application/json"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  Login result;
  result.response = http_send(port, "POST", "/api/auth/login/", headers,
                              "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}");
  result.status = result.response.status;
  if (result.status == 200) {
    const auto& set_cookie = result.response.headers.at("set-cookie");
    result.cookie = set_cookie.substr(0, set_cookie.find(';'));
    result.csrf =
        json::parse(result.response.body).as_object().at("csrf_token").as_string().c_str();
  }
  return result;
}

// Two users, their jobs and every kind of credential, on one server.
class AuthWorld {
 public:
  explicit AuthWorld(const std::string& backend, std::vector<std::string> args = {})
      : serve(redis, std::move(args), ServeOptions{fresh_database(backend)}) {
    store = open_store(serve.db_url());
    auto& accounts = store->auth();
    for (const char* name : {"alice", "bob"})
      add_test_user(accounts, name, store::Role::user, std::string(name) + "-password");
    alice = auth::issue_token(accounts, "alice", std::nullopt, now_seconds())->secret;
    bob = auth::issue_token(accounts, "bob", std::nullopt, now_seconds())->secret;
    expired = auth::issue_token(accounts, "alice", now_seconds() - 10, now_seconds() - 100)->secret;
    auto to_revoke = auth::issue_token(accounts, "alice", std::nullopt, now_seconds());
    revoked = to_revoke->secret;
    (void)accounts.revoke_token(to_revoke->token.id, now_seconds());
    job_a = add_job("alice");
    job_b = add_job("bob");
  }

  std::string add_job(const std::string& owner) {
    auto job = make_job(make_uuid());
    job.owner = owner;
    if (!store->create_job(job))
      throw std::runtime_error("cannot create a job");
    writer.write(make_record(job.id, 1));
    return job.id;
  }

  // A stream token signed with the server's key (kept in the database) for
  // any expiry, as only someone holding the key could make one.
  std::string signed_stream_token(const std::string& job_id, const std::string& user,
                                  double expires_at) {
    auto key = store->auth().setting_or_insert("stream_token_key", "");
    if (!key || key->size() < 32)
      throw std::runtime_error("the server stored no stream-token key");
    return auth::StreamTokenSigner(*key, 300).issue(job_id, user, expires_at);
  }

  // Whether the job's row or its Redis keys show a cancellation.
  bool cancel_requested(const std::string& job_id) {
    auto row = store->get_job(job_id);
    if (!row || row->status != JobStatus::queued)
      return true;
    return redis.command({"EXISTS", redis::keys::cancel(job_id)}).reply->integer != 0;
  }

  std::string stream_token(const std::string& token, const std::string& job_id) {
    auto response = http_send(serve.port(), "POST", "/api/generation/stream-token/" + job_id + "/",
                              bearer(token));
    if (response.status != 200)
      throw std::runtime_error("stream-token: " + std::to_string(response.status));
    return json::parse(response.body).as_object().at("token").as_string().c_str();
  }

  RedisServer redis;
  ServeProcess serve;
  RecordWriter writer{redis};
  std::unique_ptr<store::JobStore> store;
  std::string alice, bob, expired, revoked, job_a, job_b;
};

class AuthMatrixTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AuthMatrixTest, EveryJobEndpointAnswersOnlyItsOwnerOrAnAdmin) {
  AuthWorld world(GetParam());
  const int port = world.serve.port();
  const std::string& a = world.job_a;
  const std::string good_stream = world.stream_token(world.alice, a);
  std::string tampered = good_stream;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const std::string other_job_stream = world.stream_token(world.bob, world.job_b);
  const std::string expired_stream = world.signed_stream_token(a, "alice", now_seconds() - 10);
  const std::string overlong_stream = world.signed_stream_token(a, "alice", now_seconds() + 86400);
  const auto alice_session = login(port, "alice", "alice-password");
  const auto bob_session = login(port, "bob", "bob-password");
  ASSERT_EQ(alice_session.status, 200);
  ASSERT_EQ(bob_session.status, 200);
  auto session = [](const Login& signed_in) {
    return Headers{{"Cookie", signed_in.cookie}, {"X-CSRF-Token", signed_in.csrf}};
  };

  struct Column {
    std::string name;
    Headers headers;
    std::string query;  // ?token=...
  };
  const std::vector<Column> columns = {
      {"no credentials", {}, ""},
      {"bad token", bearer("hw_not-a-real-token"), ""},
      {"expired token", bearer(world.expired), ""},
      {"revoked token", bearer(world.revoked), ""},
      {"tampered stream token", {}, "?token=" + tampered},
      {"expired stream token", {}, "?token=" + expired_stream},
      {"stream token outliving --stream-token-ttl", {}, "?token=" + overlong_stream},
      {"stream token for another job", {}, "?token=" + other_job_stream},
      {"valid stream token", {}, "?token=" + good_stream},
      {"other user", bearer(world.bob), ""},
      {"other user's session", session(bob_session), ""},
      {"owner", bearer(world.alice), ""},
      {"owner's session", session(alice_session), ""},
      {"admin", bearer(world.serve.token()), ""},
  };
  // A stream token opens the stream and the WebSocket only; everywhere else
  // it counts as no credentials.
  //        none bad  exp  rev  tamp sexp slong sother stok user usess owner osess admin
  const std::vector<int> stream = {401, 401, 401, 401, 401, 401, 401,
                                   401, 200, 404, 404, 200, 200, 200};
  const std::vector<int> ws = {401, 401, 401, 401, 401, 401, 401,
                               401, 101, 404, 404, 101, 101, 101};
  const std::vector<int> plain = {401, 401, 401, 401, 401, 401, 401,
                                  401, 401, 404, 404, 200, 200, 200};
  ASSERT_EQ(stream.size(), columns.size());
  ASSERT_EQ(ws.size(), columns.size());
  ASSERT_EQ(plain.size(), columns.size());

  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    SCOPED_TRACE(c.name);
    EXPECT_EQ(stream_status(port, "/api/generation/stream/" + a + "/" + c.query, c.headers, false),
              stream[i]);
    EXPECT_EQ(stream_status(port, "/api/generation/ws/" + a + "/" + c.query, c.headers, true),
              ws[i]);
    EXPECT_EQ(
        http_send(port, "GET", "/api/generation/progress/" + a + "/" + c.query, c.headers).status,
        plain[i]);
    EXPECT_EQ(http_send(port, "GET", "/api/generation-jobs/" + a + "/" + c.query, c.headers).status,
              plain[i]);
    EXPECT_EQ(http_send(port, "GET", "/api/generation-jobs/" + a + "/stages/" + c.query, c.headers)
                  .status,
              plain[i]);
    EXPECT_EQ(
        http_send(port, "GET", "/api/generation-jobs/" + a + "/comparison/" + c.query, c.headers)
            .status,
        plain[i]);
    EXPECT_EQ(
        http_send(port, "POST", "/api/generation/stream-token/" + a + "/" + c.query, c.headers)
            .status,
        plain[i]);
    // Cancelling changes the job: the owner and the admin each cancel their
    // own copy; everyone else's attempt must leave the job as it was.
    const std::string target = plain[i] == 200 ? world.add_job("alice") : a;
    EXPECT_EQ(http_send(port, "DELETE", "/api/generation-jobs/" + target + "/cancel/" + c.query,
                        c.headers)
                  .status,
              plain[i]);
    EXPECT_EQ(world.cancel_requested(target), plain[i] == 200);
    EXPECT_EQ(http_send(port, "GET", "/api/generation-jobs/" + c.query, c.headers).status,
              plain[i] == 404 ? 200 : plain[i]);  // another user lists their own jobs
  }

  // The list holds only the caller's jobs, all of them for an admin.
  auto ids = [&](const std::string& token) {
    std::set<std::string> out;
    auto body = json::parse(http_send(port, "GET", "/api/generation-jobs/", bearer(token)).body);
    for (const auto& job : body.as_object().at("results").as_array())
      out.insert(job.as_object().at("id").as_string().c_str());
    return out;
  };
  EXPECT_TRUE(ids(world.alice).contains(a));
  EXPECT_FALSE(ids(world.alice).contains(world.job_b));
  EXPECT_FALSE(ids(world.bob).contains(a));
  EXPECT_TRUE(ids(world.serve.token()).contains(a) &&
              ids(world.serve.token()).contains(world.job_b));

  // Someone else's job and a job that does not exist look exactly alike, on
  // every endpoint that names a job.
  const std::string unknown = make_uuid();
  using Ask = std::function<HttpResponse(const std::string& job_id)>;
  const std::vector<std::pair<std::string, Ask>> askers = {
      {"progress",
       [&](const std::string& id) {
         return http_send(port, "GET", "/api/generation/progress/" + id + "/", bearer(world.bob));
       }},
      {"get",
       [&](const std::string& id) {
         return http_send(port, "GET", "/api/generation-jobs/" + id + "/", bearer(world.bob));
       }},
      {"cancel",
       [&](const std::string& id) {
         return http_send(port, "DELETE", "/api/generation-jobs/" + id + "/cancel/",
                          bearer(world.bob));
       }},
      {"stream-token",
       [&](const std::string& id) {
         return http_send(port, "POST", "/api/generation/stream-token/" + id + "/",
                          bearer(world.bob));
       }},
      {"stream",
       [&](const std::string& id) {
         return http_send(port, "GET", "/api/generation/stream/" + id + "/", bearer(world.bob));
       }},
      {"websocket",
       [&](const std::string& id) {
         return websocket_request(port, "/api/generation/ws/" + id + "/", bearer(world.bob));
       }},
  };
  for (const auto& [name, ask] : askers) {
    SCOPED_TRACE(name);
    const auto theirs = ask(a);
    const auto missing = ask(unknown);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(std::regex_replace(theirs.body, std::regex(a), "ID"),
              std::regex_replace(missing.body, std::regex(unknown), "ID"));
    EXPECT_EQ(theirs.headers.at("content-type"), missing.headers.at("content-type"));
  }
  EXPECT_FALSE(world.cancel_requested(a));

  // A job created through the API belongs to its creator.
  auto created =
      http_send(port, "POST", "/api/generation-jobs/generate/",
                {{"Authorization", "Bearer " + world.bob}, {"Content-Type", "application/json"}},
                "{\"type\":\"external\",\"params\":{}}");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body).as_object().at("owner").as_string(), "bob");
  EXPECT_EQ(
      http_send(port, "POST", "/api/generation-jobs/generate/",
                {{"Content-Type", "application/json"}}, "{\"type\":\"external\",\"params\":{}}")
          .status,
      401);
}

TEST_P(AuthMatrixTest, SessionsNeedTheCsrfHeaderToChangeStateAndEndAtLogout) {
  AuthWorld world(GetParam());
  const int port = world.serve.port();
  EXPECT_EQ(login(port, "alice", "wrong-password").status, 401);
  auto session = login(port, "alice", "alice-password");
  ASSERT_EQ(session.status, 200) << session.response.body;
  const auto& set_cookie = session.response.headers.at("set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain HTTP, no trusted proxy
  EXPECT_EQ(json::parse(session.response.body).as_object().at("user").as_string(), "alice");

  // The store holds only hashes of the session id and of API tokens.
  auto& accounts = world.store->auth();
  const std::string session_id = session.cookie.substr(session.cookie.find('=') + 1);
  EXPECT_FALSE(accounts.find_session(session_id, now_seconds()));
  EXPECT_TRUE(accounts.find_session(auth::sha256_hex(session_id), now_seconds()));
  EXPECT_FALSE(accounts.find_token(world.alice));
  EXPECT_TRUE(accounts.find_token(auth::sha256_hex(world.alice)));

  const Headers cookie{{"Cookie", session.cookie}};
  auto me = http_send(port, "GET", "/api/auth/me/", cookie);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(json::parse(me.body).as_object().at("csrf_token").as_string(), session.csrf);
  EXPECT_EQ(http_send(port, "GET", "/api/generation/progress/" + world.job_a + "/", cookie).status,
            200);
  EXPECT_EQ(stream_status(port, "/api/generation/stream/" + world.job_a + "/", cookie, false), 200);

  const std::string token_path = "/api/generation/stream-token/" + world.job_a + "/";
  EXPECT_EQ(http_send(port, "POST", token_path, cookie).status, 403);
  Headers wrong = cookie;
  wrong.emplace_back("X-CSRF-Token", "not-the-token");
  EXPECT_EQ(http_send(port, "POST", token_path, wrong).status, 403);
  Headers right = cookie;
  right.emplace_back("X-CSRF-Token", session.csrf);
  auto issued = http_send(port, "POST", token_path, right);
  ASSERT_EQ(issued.status, 200);
  const double expires_at =
      json::parse(issued.body).as_object().at("expires_at").to_number<double>();
  EXPECT_NEAR(expires_at - now_seconds(), 300, 5);
  EXPECT_EQ(
      http_send(port, "DELETE", "/api/generation-jobs/" + world.job_a + "/cancel/", cookie).status,
      403);
  EXPECT_EQ(http_send(port, "POST", token_path, bearer(world.alice)).status, 200);  // exempt

  EXPECT_EQ(http_send(port, "POST", "/api/auth/logout/", cookie).status, 403);
  auto out = http_send(port, "POST", "/api/auth/logout/", right);
  ASSERT_EQ(out.status, 200);
  EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(http_send(port, "GET", "/api/auth/me/", cookie).status, 401);
  EXPECT_EQ(http_send(port, "GET", "/api/generation/progress/" + world.job_a + "/", cookie).status,
            401);
  EXPECT_EQ(http_send(port, "GET", "/api/auth/me/").status, 401);
}

TEST_P(AuthMatrixTest, InitAdminCreatesTheFirstAdminOnceAndRefusesToStartWithoutUsers) {
  RedisServer redis;
  const std::string db = fresh_database(GetParam());
  {
    TempDir dir;
    auto argv =
        std::vector<std::string>{std::getenv("HEADWAY_BIN"),
                                 "serve",
                                 "--listen",
                                 "127.0.0.1:" + std::to_string(free_loopback_port()),
                                 "--redis",
                                 redis.url(),
                                 "--db",
                                 db.empty() ? "sqlite://" + (dir.path() / "j.db").string() : db};
    auto process = ChildProcess::spawn(argv, dir.path() / "serve.log");
    EXPECT_NE(process.wait(), 0);
    std::ifstream in(dir.path() / "serve.log");
    std::string log((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(log.find("there are no users"), std::string::npos) << log;
  }
  ServeProcess first(redis, {"--init-admin", "root"}, ServeOptions{db, false});
  std::smatch match;
  const std::string log = first.log();
  ASSERT_TRUE(
      std::regex_search(log, match, std::regex("created admin 'root' with password (\\S+)")))
      << log;
  const std::string password = match[1];
  auto session = login(first.port(), "root", password);
  ASSERT_EQ(session.status, 200);
  EXPECT_EQ(json::parse(session.response.body).as_object().at("role").as_string(), "admin");
  EXPECT_EQ(first.terminate(), 0);
  ServeProcess again(redis, {"--init-admin", "root"}, ServeOptions{first.db_url(), false});
  EXPECT_EQ(again.log().find("created admin"), std::string::npos);
  EXPECT_EQ(login(again.port(), "root", password).status, 200);
}

// Without valid credentials a request learns nothing, not even that its job
// id, query or body is malformed: 401 comes before 400.
TEST_P(AuthMatrixTest, CredentialsAreCheckedBeforeTheRequestItself) {
  AuthWorld world(GetParam());
  const int port = world.serve.port();
  struct Row {
    std::string method;
    std::string path;
    std::string body;
  };
  const std::vector<Row> rows = {
      {"GET", "/api/generation/stream/not-a-uuid/", ""},
      {"GET", "/api/generation/ws/not-a-uuid/", ""},
      {"GET", "/api/generation/progress/not-a-uuid/", ""},
      {"GET", "/api/generation-jobs/not-a-uuid/", ""},
      {"DELETE", "/api/generation-jobs/not-a-uuid/cancel/", ""},
      {"POST", "/api/generation/stream-token/not-a-uuid/", ""},
      {"GET", "/api/generation-jobs/?limit=x", ""},
      {"POST", "/api/generation-jobs/generate/", "{\"type\":"},
  };
  const Headers json_body{{"Content-Type", "application/json"}};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.method + " " + row.path);
    auto with = [&](Headers headers) {
      headers.insert(headers.end(), json_body.begin(), json_body.end());
      return http_send(port, row.method, row.path, headers, row.body);
    };
    const auto none = with({});
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(json::parse(none.body).as_object().at("error").as_string(), "unauthorized");
    EXPECT_EQ(with(bearer("hw_not-a-real-token")).status, 401);
    EXPECT_EQ(with(bearer(world.revoked)).status, 401);
    const std::string separator = row.path.find('?') == std::string::npos ? "?" : "&";
    EXPECT_EQ(
        http_send(port, row.method, row.path + separator + "token=1.YWxpY2U.x", json_body, row.body)
            .status,
        401);
    EXPECT_EQ(with(bearer(world.alice)).status, 400);
  }
}

// The credential cache (--auth-cache-ttl) may keep a revoked token working
// for a moment on a server that has just seen it; never for longer.
TEST_P(AuthMatrixTest, ATokenRevokedWhileTheServerRunsIsRefusedOnceItsLookupExpires) {
  AuthWorld world(GetParam());
  const int port = world.serve.port();
  auto& accounts = world.store->auth();
  auto issued = auth::issue_token(accounts, "alice", std::nullopt, now_seconds());
  ASSERT_TRUE(issued.has_value());
  const std::string progress = "/api/generation/progress/" + world.job_a + "/";
  ASSERT_EQ(http_send(port, "GET", progress, bearer(issued->secret)).status, 200);
  ASSERT_TRUE(accounts.revoke_token(issued->token.id, now_seconds()).has_value());
  EXPECT_TRUE(eventually(
      [&] { return http_send(port, "GET", progress, bearer(issued->secret)).status == 401; }, 30s,
      100ms));
  EXPECT_EQ(stream_status(port, "/api/generation/stream/" + world.job_a + "/",
                          bearer(issued->secret), false),
            401);
  EXPECT_EQ(http_send(port, "GET", progress, bearer(world.alice)).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthMatrixTest, database_backends(), DatabaseBackendName());

class AuthTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AuthTest, InsecureNoAuthOpensEverythingAndSaysSo) {
  RedisServer redis;
  ServeProcess serve(redis, {"--insecure-no-auth"},
                     ServeOptions{fresh_database(GetParam()), false});
  RecordWriter writer(redis);
  const std::string job = make_uuid();
  writer.write(make_record(job, 1));
  EXPECT_EQ(stream_status(serve.port(), "/api/generation/stream/" + job + "/", {}, false), 200);
  EXPECT_EQ(http_get(serve.port(), "/api/generation/progress/" + job + "/").status, 200);
  auto health = json::parse(http_get(serve.port(), "/api/generation/health/").body);
  EXPECT_EQ(health.as_object().at("auth").as_string(), "disabled (insecure)");
  EXPECT_NE(serve.log().find("AUTHENTICATION IS OFF"), std::string::npos);
  auto me = http_get(serve.port(), "/api/auth/me/");
  EXPECT_EQ(me.status, 200);
}

// Passwords were once hashed with N = 2^15; such hashes keep working and are
// replaced by the current cost the first time their owner signs in.
TEST_P(AuthTest, ASuccessfulLoginRehashesAPasswordStoredWithTheFormerCost) {
  RedisServer redis;
  ServeProcess serve(redis, {}, ServeOptions{fresh_database(GetParam())});
  auto store = open_store(serve.db_url());
  auto& accounts = store->auth();
  const std::string former = auth::hash_password("carol-password", auth::ScryptCost{15, 8, 1});
  ASSERT_TRUE(accounts.create_user({.name = "carol", .password_hash = former}));
  // A session carol opened elsewhere survives the rehash (a changed
  // password would end it; a rehash changes no password).
  ASSERT_TRUE(accounts.create_session(
      auth::sha256_hex("other-browser"),
      {.user = "carol", .csrf_token = "x", .expires_at = now_seconds() + 3600}));

  EXPECT_EQ(login(serve.port(), "carol", "not-carols-password").status, 401);
  EXPECT_EQ(accounts.get_user("carol")->password_hash, former) << "a failed login rehashes nothing";

  auto session = login(serve.port(), "carol", "carol-password");
  ASSERT_EQ(session.status, 200);
  const std::string rehashed = accounts.get_user("carol")->password_hash;
  EXPECT_TRUE(rehashed.starts_with("scrypt$ln=17,r=8,p=1$")) << rehashed;
  EXPECT_TRUE(auth::verify_password("carol-password", rehashed));
  EXPECT_EQ(http_get(serve.port(), "/api/auth/me/", {{"Cookie", session.cookie}}).status, 200);
  EXPECT_TRUE(accounts.find_session(auth::sha256_hex("other-browser"), now_seconds()));
  EXPECT_NE(serve.log().find("rehashed"), std::string::npos) << serve.log();
}

TEST_P(AuthTest, FailedLoginsAreLimitedPerUserAndPerAddress) {
  AuthWorld world(GetParam(), {"--trust-proxy"});
  const int port = world.serve.port();
  auto from = [](const std::string& address) { return Headers{{"X-Forwarded-For", address}}; };
  // Per user: five failures from five addresses, then even the right password waits.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(login(port, "alice", "wrong", from("10.0.0." + std::to_string(i))).status, 401);
  auto limited = login(port, "alice", "alice-password", from("10.0.1.1"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_GE(std::stoi(limited.response.headers.at("retry-after")), 1);
  EXPECT_EQ(login(port, "bob", "bob-password", from("10.0.1.1")).status, 200);
  // Per address: five failures for five names, then that address waits.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(login(port, "nobody" + std::to_string(i), "wrong", from("10.0.2.2")).status, 401);
  EXPECT_EQ(login(port, "bob", "bob-password", from("10.0.2.2")).status, 429);
  const std::string log = world.serve.log();
  EXPECT_NE(log.find("login failed for user \"alice\" from 10.0.0.1"), std::string::npos);
  EXPECT_EQ(log.find("alice-password"), std::string::npos);
  EXPECT_EQ(log.find("wrong"), std::string::npos);
}

// The limit counts an attempt before its password is checked: a burst of
// parallel guesses does not slip past it while the first ones are verified.
TEST_P(AuthTest, ParallelWrongLoginsGetNoMoreChecksThanTheLimit) {
  AuthWorld world(GetParam(), {"--trust-proxy"});
  const int port = world.serve.port();
  constexpr int kAttempts = 20;
  constexpr int kLimit = 5;  // --login-attempts
  std::vector<int> statuses(kAttempts);
  std::latch ready(kAttempts);
  std::vector<std::thread> threads;
  for (int i = 0; i < kAttempts; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      statuses[i] =
          login(port, "alice", "guess-" + std::to_string(i), {{"X-Forwarded-For", "10.0.3.3"}})
              .status;
    });
  }
  for (auto& thread : threads)
    thread.join();
  const auto count = [&](int status) {
    return std::count(statuses.begin(), statuses.end(), status);
  };
  EXPECT_GE(count(401), 1);
  EXPECT_LE(count(401), kLimit);
  EXPECT_EQ(count(401) + count(429), kAttempts);
  // Someone else, from elsewhere, is not held up.
  EXPECT_EQ(login(port, "bob", "bob-password", {{"X-Forwarded-For", "10.0.3.4"}}).status, 200);
  EXPECT_EQ(login(port, "alice", "alice-password", {{"X-Forwarded-For", "10.0.3.4"}}).status, 429);
}

// Login takes JSON only: an HTML form on another site can post
// form-encoded or text/plain bodies without a preflight, never JSON.
TEST_P(AuthTest, LoginRefusesAnythingButJson) {
  AuthWorld world(GetParam());
  const int port = world.serve.port();
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"application/x-www-form-urlencoded", "username=alice&password=alice-password"},
      {"text/plain", R"({"username":"alice","password":"alice-password"})"},
      {"multipart/form-data; boundary=x",
       "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--x--\r\n"},
  };
  for (const auto& [type, body] : bodies) {
    SCOPED_TRACE(type);
    auto refused = http_send(port, "POST", "/api/auth/login/", {{"Content-Type", type}}, body);
    EXPECT_EQ(refused.status, 415);
    EXPECT_EQ(json::parse(refused.body).as_object().at("error").as_string(),
              "unsupported_media_type");
    EXPECT_FALSE(refused.headers.contains("set-cookie"));
  }
  EXPECT_EQ(http_send(port, "POST", "/api/auth/login/", {},
                      R"({"username":"alice","password":"alice-password"})")
                .status,
            415);
  EXPECT_EQ(login(port, "alice", "alice-password").status, 200);
}

TEST_P(AuthTest, TheCookieIsSecureOnlyWhenATrustedProxySaysTheBrowserUsedHttps) {
  const Headers https{{"X-Forwarded-Proto", "https"}};
  {
    AuthWorld proxied(GetParam(), {"--trust-proxy"});
    const int port = proxied.serve.port();
    auto secure = login(port, "alice", "alice-password", https);
    ASSERT_EQ(secure.status, 200);
    EXPECT_NE(secure.response.headers.at("set-cookie").find("; Secure"), std::string::npos)
        << secure.response.headers.at("set-cookie");
    auto plain = login(port, "alice", "alice-password", {{"X-Forwarded-Proto", "http"}});
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.response.headers.at("set-cookie").find("Secure"), std::string::npos);
    Headers logout{{"Cookie", secure.cookie}, {"X-CSRF-Token", secure.csrf}};
    logout.insert(logout.end(), https.begin(), https.end());
    auto out = http_send(port, "POST", "/api/auth/logout/", logout);
    ASSERT_EQ(out.status, 200);
    EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_NE(out.headers.at("set-cookie").find("; Secure"), std::string::npos);
  }
  {
    // Without --trust-proxy anyone could send the header: it is ignored.
    AuthWorld direct(GetParam());
    auto session = login(direct.serve.port(), "alice", "alice-password", https);
    ASSERT_EQ(session.status, 200);
    EXPECT_EQ(session.response.headers.at("set-cookie").find("Secure"), std::string::npos);
  }
}

// Without --stream-token-key the first server stores a key in the database,
// and every server on that database (or the same one restarted) uses it.
TEST_P(AuthTest, StreamTokensHoldAcrossServersAndRestartsSharingADatabase) {
  AuthWorld world(GetParam());
  const std::string& job = world.job_a;
  const std::string path = "/api/generation/stream/" + job + "/?token=";
  const std::string from_first = world.stream_token(world.alice, job);
  ServeProcess second(world.redis, {}, ServeOptions{world.serve.db_url()});
  {
    SseClient stream(second.port(), path + from_first);
    ASSERT_EQ(stream.status(), 200);
    EXPECT_EQ(stream.next()->event, "connected");
  }
  auto issued = http_send(second.port(), "POST", "/api/generation/stream-token/" + job + "/",
                          bearer(world.alice));
  ASSERT_EQ(issued.status, 200);
  const std::string from_second =
      json::parse(issued.body).as_object().at("token").as_string().c_str();
  EXPECT_EQ(world.serve.terminate(), 0);
  world.serve.start();
  for (const auto& token : {from_first, from_second}) {
    SseClient stream(world.serve.port(), path + token);
    ASSERT_EQ(stream.status(), 200);
    EXPECT_EQ(stream.next()->event, "connected");
  }
}

TEST_P(AuthTest, WithoutCorsOriginsNoOtherOriginIsAllowed) {
  AuthWorld world(GetParam());
  const int port = world.serve.port();
  auto preflight = http_send(port, "OPTIONS", "/api/generation/stream-token/" + world.job_a + "/",
                             {{"Origin", "https://app.example"},
                              {"Access-Control-Request-Method", "POST"},
                              {"Access-Control-Request-Headers", "authorization"}});
  EXPECT_EQ(preflight.status, 403);
  EXPECT_FALSE(preflight.headers.contains("access-control-allow-origin"));
  EXPECT_FALSE(preflight.headers.contains("access-control-allow-credentials"));
  Headers from_elsewhere = bearer(world.alice);
  from_elsewhere.emplace_back("Origin", "https://app.example");
  auto me = http_send(port, "GET", "/api/auth/me/", from_elsewhere);
  EXPECT_EQ(me.status, 200);
  EXPECT_FALSE(me.headers.contains("access-control-allow-origin"));
}

// A stream token is a credential: the access log shows where it was used,
// never the token.
TEST_P(AuthTest, TheAccessLogRedactsStreamTokens) {
  AuthWorld world(GetParam(), {"--access-log", "true"});
  const int port = world.serve.port();
  const std::string token = world.stream_token(world.alice, world.job_a);
  const std::string stream = "/api/generation/stream/" + world.job_a + "/";
  {
    SseClient client(port, stream + "?token=" + token);
    ASSERT_EQ(client.status(), 200);
  }
  EXPECT_EQ(
      http_send(port, "GET", "/api/generation/progress/" + world.job_a + "/?a=1&token=" + token)
          .status,
      401);
  const std::string progress_line =
      "/api/generation/progress/" + world.job_a + "/?a=1&token=REDACTED";
  EXPECT_TRUE(eventually([&] {
    const auto log = world.serve.log();
    return log.find(stream + "?token=REDACTED") != std::string::npos &&
           log.find(progress_line) != std::string::npos;
  })) << world.serve.log();
  const std::string signature = token.substr(token.rfind('.') + 1);
  EXPECT_EQ(world.serve.log().find(signature), std::string::npos);
}

TEST_P(AuthTest, CorsAllowsOnlyListedOriginsAndStreamTokensWorkFromThem) {
  AuthWorld world(GetParam(), {"--cors-origins", "https://app.example"});
  const int port = world.serve.port();
  const Headers preflight{{"Origin", "https://app.example"},
                          {"Access-Control-Request-Method", "POST"}};
  auto allowed =
      http_send(port, "OPTIONS", "/api/generation/stream-token/" + world.job_a + "/", preflight);
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.headers.at("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(allowed.headers.at("access-control-allow-credentials"), "true");
  auto refused =
      http_send(port, "OPTIONS", "/api/auth/me/",
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_FALSE(refused.headers.contains("access-control-allow-origin"));
  auto other = http_send(port, "GET", "/api/auth/me/", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(other.headers.contains("access-control-allow-origin"));

  const std::string token = world.stream_token(world.alice, world.job_a);
  SseClient stream(port, "/api/generation/stream/" + world.job_a + "/?token=" + token,
                   {{"Origin", "https://app.example"}});
  ASSERT_EQ(stream.status(), 200);
  EXPECT_EQ(stream.headers().at("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(stream.next()->event, "connected");
  // A WebSocket from a page on an unlisted origin is refused even with a cookie.
  auto session = login(port, "alice", "alice-password");
  EXPECT_EQ(stream_status(port, "/api/generation/ws/" + world.job_a + "/",
                          {{"Cookie", session.cookie}, {"Origin", "https://evil.example"}}, true),
            403);
}

TEST_P(AuthTest, MetricsCanBeKeptBehindAToken) {
  RedisServer redis;
  ServeProcess serve(redis, {"--metrics-token", "metrics-secret"},
                     ServeOptions{fresh_database(GetParam())});
  EXPECT_EQ(http_get(serve.port(), "/metrics").status, 401);
  EXPECT_EQ(http_get(serve.port(), "/metrics", bearer("metrics-secret")).status, 200);
  EXPECT_EQ(http_get(serve.port(), "/api/generation/health/").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest, database_backends(), DatabaseBackendName());

}  // namespace
}  // namespace headway::test
