// SqlJobStore's AuthStore half: users, API tokens, sessions and settings.
#include <array>

#include "store/sql_job_store.hpp"

namespace headway::store {
namespace {

std::optional<double> optional_real(const SqlValue& value) {
  if (const auto* d = std::get_if<double>(&value))
    return *d;
  if (const auto* n = std::get_if<std::int64_t>(&value))
    return static_cast<double>(*n);
  return std::nullopt;
}

std::string text(const SqlValue& value) {
  const auto* s = std::get_if<std::string>(&value);
  return s ? *s : std::string();
}

constexpr const char* kUserColumns = "u.name, u.role, u.password_hash, u.created_at";

// Reads the four user columns starting at `first`.
Result<User> row_to_user(const SqlRow& row, std::size_t first = 0) {
  User user;
  user.name = text(row.at(first));
  auto role = parse_role(text(row.at(first + 1)));
  user.password_hash = text(row.at(first + 2));
  user.created_at = optional_real(row.at(first + 3)).value_or(0);
  if (!role || user.name.empty()) {
    return Error{ErrorCode::internal, "users row holds values of unexpected types"};
  }
  user.role = *role;
  return user;
}

constexpr const char* kTokenColumns = "t.id, t.user_name, t.created_at, t.expires_at, t.revoked_at";

ApiToken row_to_token(const SqlRow& row, std::size_t first = 0) {
  ApiToken token;
  token.id = text(row.at(first));
  token.user = text(row.at(first + 1));
  token.created_at = optional_real(row.at(first + 2)).value_or(0);
  token.expires_at = optional_real(row.at(first + 3));
  token.revoked_at = optional_real(row.at(first + 4));
  return token;
}

}  // namespace

const char* to_string(Role role) {
  return role == Role::admin ? "admin" : "user";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin")
    return Role::admin;
  if (text == "user")
    return Role::user;
  return std::nullopt;
}

Result<User> SqlJobStore::create_user(const User& user) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<User> {
    if (user.name.empty() || user.name.size() > 128) {
      return invalid_argument("user name must be 1 to 128 characters");
    }
    if (user.password_hash.empty())
      return invalid_argument("password hash must not be empty");
    User stored = user;
    if (stored.created_at <= 0)
      stored.created_at = clock_->now();
    const std::array params{SqlParam::of(stored.name), SqlParam::of(to_string(stored.role)),
                            SqlParam::of(stored.password_hash), SqlParam::of(stored.created_at)};
    auto inserted = connection_->execute(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)", params);
    if (!inserted) {
      if (inserted.error().code == ErrorCode::already_exists) {
        return Error{ErrorCode::already_exists, "user '" + stored.name + "' already exists"};
      }
      return inserted.error();
    }
    return stored;
  });
}

Result<User> SqlJobStore::get_user(std::string_view name) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<User> {
    const std::array params{SqlParam::of(name)};
    auto rows = connection_->query(
        std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.name = ?", params);
    if (!rows)
      return rows.error();
    if (rows->empty())
      return Error{ErrorCode::not_found, "no user '" + std::string(name) + "'"};
    return row_to_user(rows->front());
  });
}

Result<std::int64_t> SqlJobStore::count_users() {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::int64_t> {
    auto rows = connection_->query("SELECT COUNT(*) FROM users", {});
    if (!rows)
      return rows.error();
    const auto* count = std::get_if<std::int64_t>(&rows->at(0).at(0));
    if (!count)
      return Error{ErrorCode::internal, "users: unexpected count"};
    return *count;
  });
}

Result<void> SqlJobStore::set_password_hash(std::string_view name, std::string_view hash) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<void> {
    if (hash.empty())
      return invalid_argument("password hash must not be empty");
    const std::array params{SqlParam::of(hash), SqlParam::of(name)};
    auto changed =
        connection_->execute("UPDATE users SET password_hash = ? WHERE name = ?", params);
    if (!changed)
      return changed.error();
    if (*changed == 0)
      return Error{ErrorCode::not_found, "no user '" + std::string(name) + "'"};
    // A new password ends every browser session of the user.
    const std::array user{SqlParam::of(name)};
    auto ended = connection_->execute("DELETE FROM sessions WHERE user_name = ?", user);
    if (!ended)
      return ended.error();
    return {};
  });
}

Result<bool> SqlJobStore::replace_password_hash(std::string_view name, std::string_view old_hash,
                                                std::string_view new_hash) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<bool> {
    if (new_hash.empty())
      return invalid_argument("password hash must not be empty");
    const std::array params{SqlParam::of(new_hash), SqlParam::of(name), SqlParam::of(old_hash)};
    auto changed = connection_->execute(
        "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?", params);
    if (!changed)
      return changed.error();
    return *changed > 0;
  });
}

Result<void> SqlJobStore::remove_user(std::string_view name, OwnedJobs jobs) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<void> {
    const std::array params{SqlParam::of(name)};
    const auto no_user = [&] {
      return Error{ErrorCode::not_found, "no user '" + std::string(name) + "'"};
    };
    if (jobs == OwnedJobs::remove) {
      if (auto begun = connection_->begin_exclusive(); !begun)
        return begun.error();
      auto removed_jobs = connection_->execute("DELETE FROM jobs WHERE owner = ?", params);
      auto removed = removed_jobs ? connection_->execute("DELETE FROM users WHERE name = ?", params)
                                  : Result<std::int64_t>(removed_jobs.error());
      if (!removed || *removed == 0) {
        connection_->rollback();
        return removed ? no_user() : removed.error();
      }
      if (auto committed = connection_->commit(); !committed) {
        connection_->rollback();
        return committed.error();
      }
      return {};
    }
    const std::array both{SqlParam::of(name), SqlParam::of(name)};
    auto changed = connection_->execute(
        "DELETE FROM users WHERE name = ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE owner = ?)",
        both);
    if (!changed)
      return changed.error();
    if (*changed == 1)
      return {};
    auto user = connection_->query("SELECT 1 FROM users WHERE name = ?", params);
    if (!user)
      return user.error();
    if (user->empty())
      return no_user();
    auto owned = connection_->query("SELECT COUNT(*) FROM jobs WHERE owner = ?", params);
    if (!owned)
      return owned.error();
    const auto* count = std::get_if<std::int64_t>(&owned->at(0).at(0));
    if (count == nullptr)
      return Error{ErrorCode::internal, "jobs: unexpected count"};
    return Error{ErrorCode::conflict, "user '" + std::string(name) + "' owns " +
                                          std::to_string(*count) +
                                          (*count == 1 ? " job" : " jobs")};
  });
}

Result<ApiToken> SqlJobStore::create_token(const ApiToken& token, std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<ApiToken> {
    if (token.id.empty() || token_hash.empty())
      return invalid_argument("token id and hash are required");
    ApiToken stored = token;
    if (stored.created_at <= 0)
      stored.created_at = clock_->now();
    // Inserting through a SELECT on users makes an unknown user a plain
    // "no row inserted" on both engines.
    const std::array params{SqlParam::of(stored.id), SqlParam::of(token_hash),
                            SqlParam::of(stored.created_at), SqlParam::of(stored.expires_at),
                            SqlParam::of(stored.user)};
    auto inserted = connection_->execute(
        "INSERT INTO api_tokens (id, user_name, token_hash, created_at, expires_at) "
        "SELECT ?, name, ?, ?, ? FROM users WHERE name = ?",
        params);
    if (!inserted)
      return inserted.error();
    if (*inserted == 0)
      return Error{ErrorCode::not_found, "no user '" + stored.user + "'"};
    return stored;
  });
}

Result<std::pair<User, ApiToken>> SqlJobStore::find_token(std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::pair<User, ApiToken>> {
    const std::array params{SqlParam::of(token_hash)};
    auto rows = connection_->query(std::string("SELECT ") + kUserColumns + ", " + kTokenColumns +
                                       " FROM api_tokens t JOIN users u ON u.name = t.user_name"
                                       " WHERE t.token_hash = ?",
                                   params);
    if (!rows)
      return rows.error();
    if (rows->empty())
      return Error{ErrorCode::not_found, "unknown token"};
    auto user = row_to_user(rows->front());
    if (!user)
      return user.error();
    return std::pair{std::move(*user), row_to_token(rows->front(), 4)};
  });
}

Result<bool> SqlJobStore::revoke_token(std::string_view id, double now) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<bool> {
    const std::array params{SqlParam::of(now), SqlParam::of(id)};
    auto changed = connection_->execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", params);
    if (!changed)
      return changed.error();
    if (*changed == 1)
      return true;
    const std::array exists_params{SqlParam::of(id)};
    auto rows = connection_->query("SELECT 1 FROM api_tokens WHERE id = ?", exists_params);
    if (!rows)
      return rows.error();
    if (rows->empty())
      return Error{ErrorCode::not_found, "no token '" + std::string(id) + "'"};
    return false;
  });
}

Result<std::vector<ApiToken>> SqlJobStore::list_tokens(std::string_view user) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::vector<ApiToken>> {
    const std::array params{SqlParam::of(user)};
    auto rows = connection_->query(std::string("SELECT ") + kTokenColumns +
                                       " FROM api_tokens t WHERE t.user_name = ?"
                                       " ORDER BY t.created_at, t.id",
                                   params);
    if (!rows)
      return rows.error();
    std::vector<ApiToken> tokens;
    for (const auto& row : *rows)
      tokens.push_back(row_to_token(row));
    return tokens;
  });
}

Result<void> SqlJobStore::create_session(std::string_view id_hash, const Session& session) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<void> {
    const std::array params{SqlParam::of(id_hash), SqlParam::of(session.user),
                            SqlParam::of(session.csrf_token), SqlParam::of(clock_->now()),
                            SqlParam::of(session.expires_at)};
    auto inserted = connection_->execute(
        "INSERT INTO sessions (id_hash, user_name, csrf_token, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        params);
    if (!inserted)
      return inserted.error();
    return {};
  });
}

Result<std::pair<User, Session>> SqlJobStore::find_session(std::string_view id_hash, double now) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::pair<User, Session>> {
    const std::array params{SqlParam::of(id_hash), SqlParam::of(now)};
    auto rows = connection_->query(std::string("SELECT ") + kUserColumns +
                                       ", s.csrf_token, s.expires_at FROM sessions s"
                                       " JOIN users u ON u.name = s.user_name"
                                       " WHERE s.id_hash = ? AND s.expires_at > ?",
                                   params);
    if (!rows)
      return rows.error();
    if (rows->empty())
      return Error{ErrorCode::not_found, "no such session"};
    auto user = row_to_user(rows->front());
    if (!user)
      return user.error();
    Session session{user->name, text(rows->front().at(4)),
                    optional_real(rows->front().at(5)).value_or(0)};
    return std::pair{std::move(*user), std::move(session)};
  });
}

Result<void> SqlJobStore::delete_session(std::string_view id_hash) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<void> {
    const std::array params{SqlParam::of(id_hash)};
    auto deleted = connection_->execute("DELETE FROM sessions WHERE id_hash = ?", params);
    if (!deleted)
      return deleted.error();
    return {};
  });
}

Result<std::string> SqlJobStore::setting_or_insert(std::string_view name, std::string_view value) {
  std::lock_guard lock(mutex_);
  return guarded([&]() -> Result<std::string> {
    const std::array params{SqlParam::of(name), SqlParam::of(value)};
    auto inserted = connection_->execute(
        "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", params);
    if (!inserted)
      return inserted.error();
    const std::array key{SqlParam::of(name)};
    auto rows = connection_->query("SELECT value FROM settings WHERE name = ?", key);
    if (!rows)
      return rows.error();
    if (rows->empty())
      return Error{ErrorCode::internal, "setting vanished after insert"};
    return text(rows->front().at(0));
  });
}

}  // namespace headway::store
