// The account commands (`headway user ...`, `headway token ...`) as scripts
// run them: the real binary with its standard input a pipe (no terminal),
// against a job table on SQLite and on PostgreSQL, and the tokens they print
// checked against a real `headway serve` on that table.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>
#include <sstream>

#include "auth/accounts.hpp"
#include "server_fixture.hpp"
#include "support/test_databases.hpp"

namespace headway::test {
namespace {

namespace json = boost::json;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The STATE column of `token list` for `id`; "" when the id is not listed.
std::string state_of(const std::string& listing, const std::string& id) {
  for (const auto& line : lines_of(listing)) {
    if (line.starts_with(id)) {
      std::istringstream words(line);
      std::string word, last;
      while (words >> word)
        last = word;
      return last;
    }
  }
  return {};
}

class CliAccountsTest : public ::testing::TestWithParam<std::string> {
 protected:
  CliAccountsTest() {
    db_ = fresh_database(GetParam());
    if (db_.empty())
      db_ = "sqlite://" + (dir_.path() / "jobs.db").string();
  }

  // `headway ARGS... --db URL` with `input` on standard input.
  CommandResult headway(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), headway_bin());
    args.insert(args.end(), {"--db", db_});
    return run_command(args, input);
  }

  struct Token {
    std::string secret;  // the last line printed
    std::string id;      // from the message on standard error
  };
  Token create_token(const std::string& user, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"token", "create", user};
    args.insert(args.end(), extra.begin(), extra.end());
    auto created = headway(args);
    EXPECT_EQ(created.status, 0) << created.err;
    const auto lines = lines_of(created.out);
    EXPECT_EQ(lines.size(), 1u) << created.out;
    std::smatch id;
    EXPECT_TRUE(std::regex_search(created.err, id, std::regex("token (\\S+) for"))) << created.err;
    return {lines.empty() ? std::string() : lines.back(), id.size() > 1 ? id[1].str() : ""};
  }

  int list_status(int port, const std::string& token) {
    return http_send(port, "GET", "/api/generation-jobs/", bearer(token)).status;
  }

  TempDir dir_;
  std::string db_;
};

TEST_P(CliAccountsTest, UserAddTakesThePasswordFromStandardInputOrGeneratesItOnce) {
  auto added = headway({"user", "add", "alice"}, "alice-password\n");
  ASSERT_EQ(added.status, 0) << added.err;
  EXPECT_EQ(added.out, "");  // a password typed in is never echoed
  EXPECT_NE(added.err.find("created user 'alice'"), std::string::npos) << added.err;

  auto generated = headway({"user", "add", "root", "--admin", "--generate-password"});
  ASSERT_EQ(generated.status, 0) << generated.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_match(generated.out, match, std::regex("password: (\\S+)\n")))
      << generated.out;
  const std::string root_password = match[1];

  // Each refusal says why, exits non-zero and prints no password.
  struct Refusal {
    std::vector<std::string> args;
    std::string input;
    std::string says;
  };
  const std::vector<Refusal> refusals = {
      {{"user", "add", "alice"}, "another-password\n", "already exists"},
      {{"user", "add", "alice", "--generate-password"}, "", "already exists"},
      {{"user", "add", "bad name!"}, "some-password\n", "user name must be"},
      {{"user", "add", "bad name!", "--generate-password"}, "", "user name must be"},
      {{"user", "add", "bob"}, "", "expected the password on standard input"},
      {{"user", "add", "bob"}, "short\n", "at least 8 characters"},
      {{"user", "passwd", "nobody"}, "some-password\n", "no user 'nobody'"},
      {{"user", "remove", "nobody"}, "", "no user 'nobody'"},
      {{"token", "create", "nobody"}, "", "no user 'nobody'"},
      {{"token", "create", "alice", "--expires", "soon"}, "", "--expires takes a duration"},
      {{"token", "revoke", "no-such-id"}, "", "no token 'no-such-id'"},
  };
  for (const auto& refusal : refusals) {
    auto result = headway(refusal.args, refusal.input);
    SCOPED_TRACE(refusal.args[1] + " " + refusal.args[2]);
    EXPECT_NE(result.status, 0);
    EXPECT_EQ(result.out, "");
    EXPECT_NE(result.err.find(refusal.says), std::string::npos) << result.err;
  }
  auto store = open_store(db_);
  EXPECT_FALSE(store->auth().get_user("bob"));
  EXPECT_EQ(*store->auth().count_users(), 2);

  // The passwords work against a real server on this table.
  RedisServer redis;
  ServeProcess serve(redis, {}, ServeOptions{db_, false});
  auto login = [&](const std::string& user, const std::string& password) {
    return http_send(serve.port(), "POST", "/api/auth/login/",
                     {{"Content-Type", "application/json"}},
                     "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}")
        .status;
  };
  EXPECT_EQ(login("alice", "alice-password"), 200);
  EXPECT_EQ(login("root", root_password), 200);

  auto changed = headway({"user", "passwd", "alice"}, "alice-new-password\n");
  ASSERT_EQ(changed.status, 0) << changed.err;
  EXPECT_EQ(changed.out, "");
  EXPECT_EQ(login("alice", "alice-password"), 401);
  EXPECT_EQ(login("alice", "alice-new-password"), 200);
}

TEST_P(CliAccountsTest, TokensArePrintedAloneListedWithTheirStateAndRevoked) {
  ASSERT_EQ(headway({"user", "add", "alice"}, "alice-password\n").status, 0);
  RedisServer redis;
  ServeProcess serve(redis, {"--auth-cache-ttl", "1s"}, ServeOptions{db_, false});
  const int port = serve.port();

  const auto issued_day = create_token("alice", {"--expires", "1d"});
  const auto issued_forever = create_token("alice");
  const std::string& day = issued_day.secret;
  const std::string& day_id = issued_day.id;
  const std::string& forever = issued_forever.secret;
  const std::string& forever_id = issued_forever.id;
  EXPECT_TRUE(day.starts_with("hw_")) << day;
  EXPECT_NE(day, forever);
  EXPECT_EQ(list_status(port, day), 200);
  EXPECT_EQ(list_status(port, forever), 200);
  // An expired token, as `token create --expires` leaves one a day later.
  auto store = open_store(db_);
  auto expired = auth::issue_token(store->auth(), "alice", now_seconds() - 1, now_seconds() - 100);
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(list_status(port, expired->secret), 401);

  auto revoked = headway({"token", "revoke", day_id});
  ASSERT_EQ(revoked.status, 0) << revoked.err;
  EXPECT_NE(revoked.err.find("revoked " + day_id), std::string::npos) << revoked.err;
  // The server may have the token's lookup cached for --auth-cache-ttl.
  EXPECT_TRUE(eventually([&] { return list_status(port, day) == 401; }));
  EXPECT_EQ(list_status(port, forever), 200);
  auto again = headway({"token", "revoke", day_id});
  EXPECT_EQ(again.status, 0);
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.err;

  auto listed = headway({"token", "list", "alice"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_TRUE(listed.out.starts_with("ID")) << listed.out;
  EXPECT_EQ(state_of(listed.out, day_id), "revoked") << listed.out;
  EXPECT_EQ(state_of(listed.out, forever_id), "active") << listed.out;
  EXPECT_EQ(state_of(listed.out, expired->token.id), "expired") << listed.out;
  EXPECT_EQ(lines_of(listed.out).size(), 4u) << listed.out;
}

TEST_P(CliAccountsTest, TheDatabaseComesFromDbOrDatabaseUrl) {
  // From the environment alone...
  auto added = run_command({headway_bin(), "user", "add", "carol"}, "carol-password\n",
                           {{"DATABASE_URL", db_}});
  ASSERT_EQ(added.status, 0) << added.err;
  auto listed = run_command({headway_bin(), "token", "list", "carol"}, "", {{"DATABASE_URL", db_}});
  EXPECT_EQ(listed.status, 0) << listed.err;
  // ...which --db overrides.
  TempDir elsewhere;
  const std::string other = "sqlite://" + (elsewhere.path() / "other.db").string();
  auto overridden = run_command({headway_bin(), "user", "add", "dave", "--db", other},
                                "dave-password\n", {{"DATABASE_URL", db_}});
  ASSERT_EQ(overridden.status, 0) << overridden.err;
  EXPECT_TRUE(open_store(db_)->auth().get_user("carol"));
  EXPECT_FALSE(open_store(db_)->auth().get_user("dave"));
  EXPECT_TRUE(open_store(other)->auth().get_user("dave"));
}

// Jobs are owned by name: a user added again under a removed user's name must
// not see the jobs left behind, so removal refuses while the user owns jobs.
TEST_P(CliAccountsTest, RemovingAUserEndsTheirTokensAndNeverHandsTheirJobsOn) {
  ASSERT_EQ(headway({"user", "add", "alice"}, "alice-password\n").status, 0);
  ASSERT_EQ(headway({"user", "add", "erin"}, "erin-password\n").status, 0);
  RedisServer redis;
  ServeProcess serve(redis, {"--auth-cache-ttl", "1s"}, ServeOptions{db_});  // with an admin
  const int port = serve.port();
  const std::string token = create_token("alice").secret;
  const std::string erin = create_token("erin").secret;
  auto created =
      http_send(port, "POST", "/api/generation-jobs/generate/",
                {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                R"({"type":"external"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string job = json::parse(created.body).as_object().at("id").as_string().c_str();

  // A user without jobs goes at once, with their tokens.
  auto removed = headway({"user", "remove", "erin"});
  ASSERT_EQ(removed.status, 0) << removed.err;
  EXPECT_TRUE(eventually([&] { return list_status(port, erin) == 401; }));

  auto refused = headway({"user", "remove", "alice"});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("owns 1 job"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(list_status(port, token), 200);

  auto forced = headway({"user", "remove", "alice", "--force"});
  ASSERT_EQ(forced.status, 0) << forced.err;
  EXPECT_TRUE(eventually([&] { return list_status(port, token) == 401; }));

  ASSERT_EQ(headway({"user", "add", "alice"}, "another-password\n").status, 0);
  const std::string fresh = create_token("alice").secret;
  auto list = http_send(port, "GET", "/api/generation-jobs/", bearer(fresh));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body).as_object().at("count").as_int64(), 0) << list.body;
  EXPECT_EQ(http_send(port, "GET", "/api/generation-jobs/" + job + "/", bearer(fresh)).status, 404);
  EXPECT_EQ(http_send(port, "GET", "/api/generation-jobs/" + job + "/", serve.auth()).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, CliAccountsTest, database_backends(), DatabaseBackendName());

}  // namespace
}  // namespace headway::test
