#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/auth_store.hpp"

// The account operations shared by the CLI (`headway user`, `headway token`)
// and the server (login, bearer tokens, sessions). Stateless functions over an
// AuthStore; thread-safe as the store is.
namespace headway::auth {

using store::ApiToken;
using store::AuthStore;
using store::Result;
using store::Role;
using store::User;

inline constexpr std::string_view kTokenPrefix = "hw_";
inline constexpr std::size_t kMinPasswordLength = 8;

// Whether `name` may name a user: 1-64 of [A-Za-z0-9._@-].
bool valid_user_name(std::string_view name);
inline constexpr std::string_view kUserNameRule =
    "user name must be 1-64 characters of letters, digits, '.', '_', '@', '-'";

// Validates the name (valid_user_name) and the password (at least
// kMinPasswordLength characters), hashes the password, stores the user.
Result<User> create_user(AuthStore& store, std::string_view name, Role role,
                         std::string_view password);
Result<void> change_password(AuthStore& store, std::string_view name, std::string_view password);

// The user if `password` is theirs. The same not_found error for an unknown
// user and a wrong password, so a caller cannot tell which it was.
Result<User> check_password(AuthStore& store, std::string_view name, std::string_view password);

// For a `user` whose `password` check_password just accepted: replaces a hash
// made with a lower cost than the current default by a fresh one (a second
// scrypt run), leaving the user's sessions alone. Whether it was replaced
// (false too when the hash changed in between).
Result<bool> rehash_if_outdated(AuthStore& store, const User& user, std::string_view password);

struct IssuedToken {
  ApiToken token;
  std::string secret;  // shown once; only its hash is stored
};
// `expires_at`: Unix seconds, or nullopt for a token that does not expire.
Result<IssuedToken> issue_token(AuthStore& store, std::string_view user,
                                std::optional<double> expires_at, double now);

// The user a bearer token belongs to, if it is known, not revoked and not
// expired at `now`; not_found otherwise (one message for every case).
Result<User> authenticate_token(AuthStore& store, std::string_view secret, double now);

// Parses "30d", "12h", "45m", "90s" or a bare number of seconds.
std::optional<double> parse_duration_seconds(std::string_view text);

// A random password for generated accounts (about 128 bits).
std::string generate_password();

}  // namespace headway::auth
