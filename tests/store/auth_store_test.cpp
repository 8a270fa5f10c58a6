// Users, tokens, sessions and settings on both engines.
#include <gtest/gtest.h>

#include "store_backends.hpp"

namespace headway::store {
namespace {

using namespace testing_support;

template <typename Backend>
class AuthStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_error() = Backend::set_up_suite(); }
  static void TearDownTestSuite() { Backend::tear_down_suite(); }
  static std::string& setup_error() {
    static std::string error;
    return error;
  }

  void SetUp() override {
    ASSERT_EQ(setup_error(), "");
    auto opened = open_job_store(Backend::fresh_url(), StoreOptions{.clock = clock_});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
  }

  AuthStore& auth() { return store_->auth(); }

  User add_user(const std::string& name, Role role = Role::user) {
    User user;
    user.name = name;
    user.role = role;
    user.password_hash = "scrypt$hash-of-" + name;
    auto created = auth().create_user(user);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? *created : User{};
  }

  ApiToken add_token(const std::string& id, const std::string& user, const std::string& hash) {
    ApiToken token;
    token.id = id;
    token.user = user;
    auto created = auth().create_token(token, hash);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? *created : ApiToken{};
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<JobStore> store_;
};

TYPED_TEST_SUITE(AuthStoreTest, Backends, BackendNames);

TYPED_TEST(AuthStoreTest, UsersAreCreatedOnceAndReadBack) {
  this->add_user("alice", Role::admin);
  auto alice = this->auth().get_user("alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->role, Role::admin);
  EXPECT_EQ(alice->password_hash, "scrypt$hash-of-alice");
  EXPECT_GT(alice->created_at, 0);
  User again;
  again.name = "alice";
  again.password_hash = "x";
  auto duplicate = this->auth().create_user(again);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::already_exists);
  EXPECT_EQ(this->auth().get_user("bob").error().code, ErrorCode::not_found);
  EXPECT_EQ(*this->auth().count_users(), 1);
}

TYPED_TEST(AuthStoreTest, ANewPasswordEndsTheUsersSessions) {
  this->add_user("alice");
  ASSERT_TRUE(
      this->auth().create_session("session-hash", Session{"alice", "csrf", 1e12}).has_value());
  ASSERT_TRUE(this->auth().find_session("session-hash", 1).has_value());
  ASSERT_TRUE(this->auth().set_password_hash("alice", "scrypt$new").has_value());
  EXPECT_EQ(this->auth().get_user("alice")->password_hash, "scrypt$new");
  EXPECT_EQ(this->auth().find_session("session-hash", 1).error().code, ErrorCode::not_found);
  EXPECT_EQ(this->auth().set_password_hash("nobody", "x").error().code, ErrorCode::not_found);
}

TYPED_TEST(AuthStoreTest, ARehashReplacesOnlyTheHashItWasMadeFromAndKeepsSessions) {
  this->add_user("alice");
  const std::string old_hash = this->auth().get_user("alice")->password_hash;
  ASSERT_TRUE(
      this->auth().create_session("session-hash", Session{"alice", "csrf", 1e12}).has_value());
  auto replaced = this->auth().replace_password_hash("alice", old_hash, "scrypt$stronger");
  ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
  EXPECT_TRUE(*replaced);
  EXPECT_EQ(this->auth().get_user("alice")->password_hash, "scrypt$stronger");
  EXPECT_TRUE(this->auth().find_session("session-hash", 1).has_value());
  // A password changed since the hash was read is not undone.
  EXPECT_FALSE(*this->auth().replace_password_hash("alice", old_hash, "scrypt$late"));
  EXPECT_EQ(this->auth().get_user("alice")->password_hash, "scrypt$stronger");
  EXPECT_FALSE(*this->auth().replace_password_hash("nobody", old_hash, "scrypt$x"));
}

TYPED_TEST(AuthStoreTest, TokensAreFoundByHashWithTheirUser) {
  this->add_user("alice");
  this->add_token("tok1", "alice", "hash1");
  auto found = this->auth().find_token("hash1");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->first.name, "alice");
  EXPECT_EQ(found->second.id, "tok1");
  EXPECT_FALSE(found->second.revoked_at.has_value());
  EXPECT_EQ(this->auth().find_token("hash2").error().code, ErrorCode::not_found);
}

TYPED_TEST(AuthStoreTest, ATokenForAnUnknownUserIsRefused) {
  ApiToken token;
  token.id = "tok";
  token.user = "ghost";
  EXPECT_EQ(this->auth().create_token(token, "h").error().code, ErrorCode::not_found);
}

TYPED_TEST(AuthStoreTest, RevokingATokenIsRecordedOnce) {
  this->add_user("alice");
  this->add_token("tok1", "alice", "hash1");
  EXPECT_TRUE(*this->auth().revoke_token("tok1", 5000));
  EXPECT_FALSE(*this->auth().revoke_token("tok1", 6000));
  EXPECT_EQ(this->auth().find_token("hash1")->second.revoked_at, 5000);
  EXPECT_EQ(this->auth().revoke_token("nope", 1).error().code, ErrorCode::not_found);
}

TYPED_TEST(AuthStoreTest, TokensAreListedPerUserInCreationOrder) {
  this->add_user("alice");
  this->add_user("bob");
  this->clock_->set(100);
  this->add_token("a1", "alice", "h1");
  this->clock_->set(200);
  this->add_token("a2", "alice", "h2");
  this->add_token("b1", "bob", "h3");
  auto tokens = this->auth().list_tokens("alice");
  ASSERT_TRUE(tokens.has_value());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].id, "a1");
  EXPECT_EQ((*tokens)[1].id, "a2");
}

TYPED_TEST(AuthStoreTest, RemovingAUserRemovesTheirTokensAndSessions) {
  this->add_user("alice");
  this->add_token("a1", "alice", "h1");
  ASSERT_TRUE(this->auth().create_session("s1", Session{"alice", "csrf", 1e12}).has_value());
  ASSERT_TRUE(this->auth().remove_user("alice", OwnedJobs::refuse).has_value());
  EXPECT_EQ(this->auth().find_token("h1").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->auth().find_session("s1", 1).error().code, ErrorCode::not_found);
  EXPECT_EQ(this->auth().remove_user("alice", OwnedJobs::refuse).error().code,
            ErrorCode::not_found);
  EXPECT_EQ(this->auth().remove_user("alice", OwnedJobs::remove).error().code,
            ErrorCode::not_found);
}

// Jobs are owned by name: a user added later under the same name must not
// inherit the jobs of the one removed.
TYPED_TEST(AuthStoreTest, AUserWhoOwnsJobsIsRemovedOnlyWithThem) {
  this->add_user("alice");
  this->add_user("bob");
  this->add_token("a1", "alice", "h1");
  for (const char* id :
       {"6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a71", "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a72"}) {
    Job job;
    job.id = id;
    job.owner = "alice";
    job.type = "external";
    ASSERT_TRUE(this->store_->create_job(job).has_value());
  }
  Job bobs;
  bobs.id = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a73";
  bobs.owner = "bob";
  bobs.type = "external";
  ASSERT_TRUE(this->store_->create_job(bobs).has_value());

  auto refused = this->auth().remove_user("alice", OwnedJobs::refuse);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::conflict);
  EXPECT_NE(refused.error().message.find("owns 2 jobs"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(this->auth().get_user("alice").has_value());
  EXPECT_TRUE(this->auth().find_token("h1").has_value());

  ASSERT_TRUE(this->auth().remove_user("alice", OwnedJobs::remove).has_value());
  EXPECT_EQ(this->auth().get_user("alice").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->auth().find_token("h1").error().code, ErrorCode::not_found);
  JobQuery alices;
  alices.owner = "alice";
  EXPECT_EQ(this->store_->list_jobs(alices)->total, 0);
  EXPECT_EQ(this->store_->list_jobs({})->total, 1);  // bob's job stays
  this->add_user("alice");
  EXPECT_EQ(this->store_->list_jobs(alices)->total, 0);
}

TYPED_TEST(AuthStoreTest, ExpiredSessionsAreNotFound) {
  this->add_user("alice");
  ASSERT_TRUE(this->auth().create_session("s1", Session{"alice", "csrf-1", 1000}).has_value());
  auto live = this->auth().find_session("s1", 999);
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->second.csrf_token, "csrf-1");
  EXPECT_EQ(this->auth().find_session("s1", 1000).error().code, ErrorCode::not_found);
  ASSERT_TRUE(this->auth().delete_session("s1").has_value());
  EXPECT_EQ(this->auth().find_session("s1", 1).error().code, ErrorCode::not_found);
}

TYPED_TEST(AuthStoreTest, TheFirstStoredSettingValueWins) {
  EXPECT_EQ(*this->auth().setting_or_insert("stream_key", "first"), "first");
  EXPECT_EQ(*this->auth().setting_or_insert("stream_key", "second"), "first");
}

}  // namespace
}  // namespace headway::store
