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
  // `key`: at least 32 bytes of secret (kept in config or the database).
  explicit StreamTokenSigner(std::string key);

  std::string issue(std::string_view job_id, std::string_view user, double expires_at) const;

  // The user the token was issued to, if it is intact, unexpired at `now`,
  // and issued for `job_id`.
  std::optional<std::string> verify(std::string_view token, std::string_view job_id,
                                    double now) const;

 private:
  std::string signature(std::string_view job_id, std::string_view user,
                        std::string_view expires_at) const;
  std::string key_;
};

}  // namespace headway::auth
