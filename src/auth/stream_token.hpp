#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace headway::auth {

// Short-lived tokens that let one user open one job's stream from another
// origin, where EventSource cannot send headers or cookies:
//   "<expires_at>.<base64url(user)>.<HMAC-SHA256(key, "stream\n" job "\n" user "\n" expires_at)>"
// Thread-safe (immutable after construction).
class StreamTokenSigner {
 public:
  // How far a token's expiry may lie beyond now + the lifetime, for clocks
  // of servers sharing a database that disagree a little.
  static constexpr double kClockSkewSeconds = 30;

  // `key`: at least 32 bytes of secret (kept in config or the database).
  // `max_lifetime_seconds`: the longest lifetime this server issues; a token
  // claiming to live longer was not issued by it, whoever signed it.
  StreamTokenSigner(std::string key, double max_lifetime_seconds);

  std::string issue(std::string_view job_id, std::string_view user, double expires_at) const;

  // The user the token was issued to, if it is intact, issued for `job_id`,
  // unexpired at `now`, and does not expire later than now + the lifetime
  // (+ kClockSkewSeconds).
  std::optional<std::string> verify(std::string_view token, std::string_view job_id,
                                    double now) const;

 private:
  std::string signature(std::string_view job_id, std::string_view user,
                        std::string_view expires_at) const;
  std::string key_;
  double max_lifetime_;
};

}  // namespace headway::auth
