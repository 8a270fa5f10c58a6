#include <gtest/gtest.h>

#include <set>

#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "auth/stream_token.hpp"

namespace headway::auth {
namespace {

// Cheap enough for many tests; one test covers the default cost.
constexpr ScryptCost kTestCost{10, 8, 1};

TEST(PasswordTest, AHashNeverContainsThePasswordAndVerifiesIt) {
  const std::string hash = hash_password("correct horse battery staple", kTestCost);
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_TRUE(hash.starts_with("scrypt$ln=10,r=8,p=1$"));
  EXPECT_TRUE(verify_password("correct horse battery staple", hash));
  EXPECT_FALSE(verify_password("correct horse battery stapler", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST(PasswordTest, TheSamePasswordHashesDifferentlyEachTime) {
  EXPECT_NE(hash_password("pw", kTestCost), hash_password("pw", kTestCost));
}

TEST(PasswordTest, TheDefaultCostIsOwaspsScryptSetting) {
  const std::string hash = hash_password("pw");
  EXPECT_TRUE(hash.starts_with("scrypt$ln=17,r=8,p=1$")) << hash;
  EXPECT_TRUE(verify_password("pw", hash));
  EXPECT_FALSE(needs_rehash(hash));
}

// Hashes stored before the cost was raised (N = 2^15) keep verifying; they are
// replaced at the next successful login.
TEST(PasswordTest, AHashWithTheFormerCostVerifiesAndAsksForARehash) {
  const std::string former = hash_password("pw", ScryptCost{15, 8, 1});
  EXPECT_TRUE(former.starts_with("scrypt$ln=15,r=8,p=1$")) << former;
  EXPECT_TRUE(verify_password("pw", former));
  EXPECT_FALSE(verify_password("pW", former));
  EXPECT_TRUE(needs_rehash(former));
  EXPECT_TRUE(needs_rehash(hash_password("pw", kTestCost)));
  EXPECT_TRUE(needs_rehash(hash_password("pw", ScryptCost{17, 4, 1})));
  // A stronger cost than the default is kept as it is.
  EXPECT_FALSE(needs_rehash("scrypt$ln=18,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$" + std::string(43, 'A')));
  EXPECT_TRUE(needs_rehash("not a hash"));
}

TEST(PasswordTest, MalformedHashesNeverVerify) {
  const std::string good = hash_password("pw", kTestCost);
  for (const std::string& bad :
       {std::string(), std::string("pw"), std::string("scrypt$ln=10,r=8,p=1$$"),
        std::string("bcrypt$whatever"), good.substr(0, good.size() - 2),
        std::string("scrypt$ln=99,r=8,p=1$AAAA$AAAA")}) {
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
}

TEST(CryptoTest, RandomTokensAreLongAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i)
    seen.insert(random_token());
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(seen.begin()->size(), 43u);  // 32 bytes in unpadded base64url
}

TEST(CryptoTest, Sha256MatchesAKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, Base64UrlRoundTripsAnyBytes) {
  for (std::string bytes : {std::string(""), std::string("a"), std::string("ab"),
                            std::string("abc"), std::string("\xff\xfe\x00\x01", 4)}) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
  }
  EXPECT_EQ(base64url_decode("not base64!"), "");
}

TEST(CryptoTest, ConstantTimeEqualComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

class StreamTokenTest : public ::testing::Test {
 protected:
  static constexpr double kLifetime = 300;
  static constexpr double kNow = 900;
  StreamTokenSigner signer_{std::string(32, 'k'), kLifetime};
  const std::string job_ = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";
};

TEST_F(StreamTokenTest, AFreshTokenNamesItsUser) {
  const auto token = signer_.issue(job_, "alice", 1000);
  EXPECT_EQ(signer_.verify(token, job_, 999), "alice");
  EXPECT_EQ(signer_.verify(token, job_, kNow), "alice");
}

TEST_F(StreamTokenTest, AnExpiredTokenIsRejected) {
  const auto token = signer_.issue(job_, "alice", 1000);
  EXPECT_FALSE(signer_.verify(token, job_, 1000));
}

TEST_F(StreamTokenTest, ATokenExpiringLaterThanTheLifetimeAllowsIsRejected) {
  // Whoever holds the key (a copy of the database holds it) could sign a
  // token for a year; this server never issues one beyond its lifetime.
  const double now = 1000;
  const double skew = StreamTokenSigner::kClockSkewSeconds;
  EXPECT_EQ(signer_.verify(signer_.issue(job_, "alice", now + kLifetime), job_, now), "alice");
  EXPECT_EQ(signer_.verify(signer_.issue(job_, "alice", now + kLifetime + skew), job_, now),
            "alice");
  EXPECT_FALSE(signer_.verify(signer_.issue(job_, "alice", now + kLifetime + skew + 1), job_, now));
  EXPECT_FALSE(signer_.verify(signer_.issue(job_, "alice", now + 365 * 86400), job_, now));
  // A server with a longer lifetime accepts what this one refuses.
  StreamTokenSigner lenient(std::string(32, 'k'), 3600);
  EXPECT_EQ(lenient.verify(signer_.issue(job_, "alice", now + 3600), job_, now), "alice");
}

TEST_F(StreamTokenTest, ATokenForAnotherJobIsRejected) {
  const auto token = signer_.issue(job_, "alice", 1000);
  EXPECT_FALSE(signer_.verify(token, "00000000-0000-4000-8000-000000000000", kNow));
}

TEST_F(StreamTokenTest, ATamperedTokenIsRejected) {
  const auto token = signer_.issue(job_, "alice", 1000);
  std::string later_expiry = "1" + token;  // 11000: within the lifetime from 10800
  EXPECT_FALSE(signer_.verify(later_expiry, job_, 10800));
  std::string other_user = token;
  other_user.replace(token.find('.') + 1, 7, base64url_encode("mallory").substr(0, 7));
  EXPECT_FALSE(signer_.verify(other_user, job_, kNow));
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer_.verify(flipped, job_, kNow));
  EXPECT_FALSE(signer_.verify("garbage", job_, kNow));
}

TEST_F(StreamTokenTest, ATokenSignedWithAnotherKeyIsRejected) {
  StreamTokenSigner other(std::string(32, 'x'), kLifetime);
  EXPECT_FALSE(signer_.verify(other.issue(job_, "alice", 1000), job_, kNow));
}

TEST(StreamTokenSignerTest, RefusesAShortKey) {
  EXPECT_THROW(StreamTokenSigner("short", 300), std::invalid_argument);
}

}  // namespace
}  // namespace headway::auth
