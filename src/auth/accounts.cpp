#include "auth/accounts.hpp"

#include <cctype>
#include <charconv>

#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "core/uuid.hpp"

namespace headway::auth {
namespace {

using store::Error;
using store::ErrorCode;

Error invalid(std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

Error rejected() {
  return Error{ErrorCode::not_found, "invalid credentials"};
}

}  // namespace

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

Result<User> create_user(AuthStore& store, std::string_view name, Role role,
                         std::string_view password) {
  if (!valid_user_name(name))
    return invalid(std::string(kUserNameRule));
  if (password.size() < kMinPasswordLength) {
    return invalid("password must have at least " + std::to_string(kMinPasswordLength) +
                   " characters");
  }
  User user;
  user.name = std::string(name);
  user.role = role;
  user.password_hash = hash_password(password);
  return store.create_user(user);
}

Result<void> change_password(AuthStore& store, std::string_view name, std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return invalid("password must have at least " + std::to_string(kMinPasswordLength) +
                   " characters");
  }
  return store.set_password_hash(name, hash_password(password));
}

Result<User> check_password(AuthStore& store, std::string_view name, std::string_view password) {
  auto user = store.get_user(name);
  if (!user) {
    if (user.error().code != ErrorCode::not_found)
      return user.error();
    // Spend the same time as a real check, so timing does not reveal which
    // user names exist.
    static const std::string decoy = hash_password("decoy password");
    verify_password(password, decoy);
    return rejected();
  }
  if (!verify_password(password, user->password_hash))
    return rejected();
  return user;
}

Result<bool> rehash_if_outdated(AuthStore& store, const User& user, std::string_view password) {
  if (!needs_rehash(user.password_hash))
    return false;
  return store.replace_password_hash(user.name, user.password_hash, hash_password(password));
}

Result<IssuedToken> issue_token(AuthStore& store, std::string_view user,
                                std::optional<double> expires_at, double now) {
  IssuedToken issued;
  issued.secret = std::string(kTokenPrefix) + random_token(32);
  issued.token.id = make_uuid();
  issued.token.user = std::string(user);
  issued.token.created_at = now;
  issued.token.expires_at = expires_at;
  auto stored = store.create_token(issued.token, sha256_hex(issued.secret));
  if (!stored)
    return stored.error();
  issued.token = *stored;
  return issued;
}

Result<User> authenticate_token(AuthStore& store, std::string_view secret, double now) {
  if (!secret.starts_with(kTokenPrefix))
    return rejected();
  auto found = store.find_token(sha256_hex(secret));
  if (!found) {
    return found.error().code == ErrorCode::not_found ? rejected() : found.error();
  }
  const ApiToken& token = found->second;
  if (token.revoked_at || (token.expires_at && *token.expires_at <= now))
    return rejected();
  return found->first;
}

std::optional<double> parse_duration_seconds(std::string_view text) {
  double unit = 1;
  if (!text.empty() && !std::isdigit(static_cast<unsigned char>(text.back()))) {
    switch (text.back()) {
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        break;
      default:
        return std::nullopt;
    }
    text.remove_suffix(1);
  }
  long long amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || amount <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(amount) * unit;
}

std::string generate_password() {
  return random_token(16);
}

}  // namespace headway::auth
