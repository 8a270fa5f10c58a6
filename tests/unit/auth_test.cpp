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
  EXPECT_TRUE(hash.starts_with("scrypt$ln=15,r=8,p=1$")) << hash;
  EXPECT_TRUE(verify_password("pw", hash));
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
  StreamTokenSigner signer_{std::string(32, 'k')};
  const std::string job_ = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";
};

TEST_F(StreamTokenTest, AFreshTokenNamesItsUser) {
  const auto token = signer_.issue(job_, "alice", 1000);
  EXPECT_EQ(signer_.verify(token, job_, 999), "alice");
}

TEST_F(StreamTokenTest, AnExpiredTokenIsRejected) {
  const auto token = signer_.issue(job_, "alice", 1000);
  EXPECT_FALSE(signer_.verify(token, job_, 1000));
}

TEST_F(StreamTokenTest, ATokenForAnotherJobIsRejected) {
  const auto token = signer_.issue(job_, "alice", 1000);
  EXPECT_FALSE(signer_.verify(token, "00000000-0000-4000-8000-000000000000", 10));
}

TEST_F(StreamTokenTest, ATamperedTokenIsRejected) {
  const auto token = signer_.issue(job_, "alice", 1000);
  std::string later_expiry = "9" + token;
  EXPECT_FALSE(signer_.verify(later_expiry, job_, 10));
  std::string other_user = token;
  other_user.replace(token.find('.') + 1, 7, base64url_encode("mallory").substr(0, 7));
  EXPECT_FALSE(signer_.verify(other_user, job_, 10));
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer_.verify(flipped, job_, 10));
  EXPECT_FALSE(signer_.verify("garbage", job_, 10));
}

TEST_F(StreamTokenTest, ATokenSignedWithAnotherKeyIsRejected) {
  StreamTokenSigner other(std::string(32, 'x'));
  EXPECT_FALSE(signer_.verify(other.issue(job_, "alice", 1000), job_, 10));
}

TEST(StreamTokenSignerTest, RefusesAShortKey) {
  EXPECT_THROW(StreamTokenSigner("short"), std::invalid_argument);
}

}  // namespace
}  // namespace headway::auth
