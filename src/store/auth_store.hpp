#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/result.hpp"

namespace headway::store {

enum class Role { user, admin };
const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

struct User {
  std::string name;  // unique; jobs.owner holds it
  Role role = Role::user;
  std::string password_hash;  // auth::hash_password's encoding
  double created_at = 0;
};

// An API token's row. The secret itself is never stored, only its SHA-256.
struct ApiToken {
  std::string id;  // public handle for listing and revoking
  std::string user;
  double created_at = 0;
  std::optional<double> expires_at{};
  std::optional<double> revoked_at{};
};

// What removing a user does with the jobs they own. Jobs are owned by user
// name, so a user added later under the same name would see jobs left behind.
enum class OwnedJobs {
  refuse,  // a user who owns jobs is not removed (conflict)
  remove,  // the user's jobs are removed with them
};

struct Session {
  std::string user;
  std::string csrf_token;
  double expires_at = 0;
};

// Users, API tokens, browser sessions and server secrets, kept in the same
// database as the jobs. Secrets arrive already hashed: the store never sees a
// password or a token. Thread-safe, blocking, never throws (like JobStore).
class AuthStore {
 public:
  virtual ~AuthStore() = default;

  // already_exists when the name is taken; invalid_argument for an empty name.
  virtual Result<User> create_user(const User& user) = 0;
  virtual Result<User> get_user(std::string_view name) = 0;
  virtual Result<std::int64_t> count_users() = 0;
  virtual Result<void> set_password_hash(std::string_view name, std::string_view hash) = 0;
  // Replaces the user's hash by `new_hash` only if it still is `old_hash` (a
  // rehash of the same password at a higher cost: sessions stay, and a
  // password changed meanwhile is not undone). Whether it was replaced.
  virtual Result<bool> replace_password_hash(std::string_view name, std::string_view old_hash,
                                             std::string_view new_hash) = 0;
  // Also removes the user's tokens and sessions; not_found if no such user.
  // A user who owns jobs: conflict (the message says how many) with
  // OwnedJobs::refuse; with OwnedJobs::remove the jobs go too, atomically.
  virtual Result<void> remove_user(std::string_view name, OwnedJobs jobs) = 0;

  virtual Result<ApiToken> create_token(const ApiToken& token, std::string_view token_hash) = 0;
  // The token and its user, revoked or expired ones included (the caller
  // decides); not_found when no token has this hash.
  virtual Result<std::pair<User, ApiToken>> find_token(std::string_view token_hash) = 0;
  // Whether a live token was revoked now.
  virtual Result<bool> revoke_token(std::string_view id, double now) = 0;
  virtual Result<std::vector<ApiToken>> list_tokens(std::string_view user) = 0;

  virtual Result<void> create_session(std::string_view id_hash, const Session& session) = 0;
  // not_found for an unknown or expired session.
  virtual Result<std::pair<User, Session>> find_session(std::string_view id_hash, double now) = 0;
  virtual Result<void> delete_session(std::string_view id_hash) = 0;

  // The stored value of a server-wide setting, storing `value` first if the
  // setting is absent (so concurrent servers agree on one value).
  virtual Result<std::string> setting_or_insert(std::string_view name, std::string_view value) = 0;
};

}  // namespace headway::store
