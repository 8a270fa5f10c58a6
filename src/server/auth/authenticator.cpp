#include "server/auth/authenticator.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ostream>

#include "auth/accounts.hpp"
#include "auth/crypto.hpp"
#include "headway/clock.hpp"
#include "server/run_blocking.hpp"

namespace headway::server {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

// The value of the session cookie, or "" (every Cookie header is searched).
std::string session_cookie(const Request& request) {
  for (auto it = request.find(http::field::cookie);
       it != request.end() && it->name() == http::field::cookie; ++it) {
    std::string_view cookies(it->value().data(), it->value().size());
    while (!cookies.empty()) {
      const auto semicolon = cookies.find(';');
      auto pair = trim(cookies.substr(0, semicolon));
      cookies =
          semicolon == std::string_view::npos ? std::string_view() : cookies.substr(semicolon + 1);
      const auto equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == kSessionCookie)
        return std::string(pair.substr(equals + 1));
    }
  }
  return {};
}

// `?token=...` (stream tokens are base64url, digits and dots: no decoding).
std::string query_token(const Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  const auto query = target.find('?');
  if (query == std::string_view::npos)
    return {};
  auto rest = target.substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    if (pair.starts_with("token="))
      return std::string(pair.substr(6));
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return {};
}

std::string not_found_detail(std::string_view job_id) {
  return "no job " + std::string(job_id) + " in Redis or the job table";
}

AuthDecision deny(http::status status, std::string error, std::string detail) {
  return AuthDecision{false, status, std::move(error), std::move(detail)};
}

AuthDecision unauthorized(std::string detail) {
  return deny(http::status::unauthorized, "unauthorized", std::move(detail));
}

AuthDecision not_found(std::string_view job_id) {
  return deny(http::status::not_found, "job_not_found", not_found_detail(job_id));
}

AuthDecision unavailable() {
  return deny(http::status::service_unavailable, "unavailable",
              "the job table cannot be reached to check credentials");
}

Caller to_caller(const store::User& user) {
  return Caller{user.name, user.role == store::Role::admin};
}

}  // namespace

Authenticator::Authenticator(const ServerConfig& config, store::JobStore& store,
                             asio::thread_pool& db_pool, asio::thread_pool& password_pool,
                             std::string stream_token_key)
    : config_(config),
      store_(store),
      db_pool_(db_pool),
      password_pool_(password_pool),
      signer_(std::move(stream_token_key),
              std::chrono::duration<double>(config.stream_token_ttl).count()),
      credentials_(config.auth_cache_ttl),
      limiter_(config.login_attempts) {}

awaitable<Identity> Authenticator::identify(const Request& request, bool stream_route) {
  Identity identity;
  identity.auth_disabled = disabled();
  auto& accounts = store_.auth();
  const double now = system_clock()->now();
  const auto authorization = header_value(request, "Authorization");
  if (!authorization.empty()) {
    // A bearer token is the whole answer: a bad one is not rescued by a cookie.
    identity.via = Identity::Via::bearer;
    if (!starts_with_nocase(authorization, "bearer "))
      co_return identity;
    const std::string secret(trim(authorization.substr(7)));
    const std::string key = "token:" + auth::sha256_hex(secret);
    if (auto cached = credentials_.find(key)) {
      identity.caller = cached->caller;
      co_return identity;
    }
    auto user = co_await run_blocking(db_pool_, [&accounts, &secret, now] {
      return auth::authenticate_token(accounts, secret, now);
    });
    if (!user && user.error().code != store::ErrorCode::not_found) {
      identity.store_unavailable = true;
      co_return identity;
    }
    if (user)
      identity.caller = to_caller(*user);
    credentials_.put(key, CredentialCache::Entry{identity.caller, {}});
    co_return identity;
  }
  const std::string cookie = session_cookie(request);
  if (!cookie.empty()) {
    identity.via = Identity::Via::session;
    identity.session_hash = auth::sha256_hex(cookie);
    const std::string key = "session:" + identity.session_hash;
    if (auto cached = credentials_.find(key)) {
      identity.caller = cached->caller;
      identity.csrf_token = cached->csrf_token;
    } else {
      const std::string& hash = identity.session_hash;
      auto found = co_await run_blocking(
          db_pool_, [&accounts, &hash, now] { return accounts.find_session(hash, now); });
      if (!found && found.error().code != store::ErrorCode::not_found) {
        identity.store_unavailable = true;
        co_return identity;
      }
      if (found) {
        identity.caller = to_caller(found->first);
        identity.csrf_token = found->second.csrf_token;
      }
      credentials_.put(key, CredentialCache::Entry{identity.caller, identity.csrf_token});
    }
  }
  if (!identity.caller && stream_route) {
    auto token = query_token(request);
    if (!token.empty()) {
      identity.via = Identity::Via::stream_token;
      identity.stream_token = std::move(token);
    }
  }
  co_return identity;
}

awaitable<std::optional<Caller>> Authenticator::user_caller(const std::string& name,
                                                            bool& unavailable_out) {
  const std::string key = "user:" + name;
  if (auto cached = credentials_.find(key))
    co_return cached->caller;
  auto& accounts = store_.auth();
  auto user =
      co_await run_blocking(db_pool_, [&accounts, &name] { return accounts.get_user(name); });
  if (!user && user.error().code != store::ErrorCode::not_found) {
    unavailable_out = true;
    co_return std::nullopt;
  }
  std::optional<Caller> caller;
  if (user)
    caller = to_caller(*user);
  credentials_.put(key, CredentialCache::Entry{caller, {}});
  co_return caller;
}

awaitable<std::optional<std::string>> Authenticator::job_owner(const std::string& job_id,
                                                               store::ErrorCode& status) {
  {
    std::lock_guard lock(owners_mutex_);
    if (auto it = owners_.find(job_id); it != owners_.end()) {
      if (it->second.expires > std::chrono::steady_clock::now())
        co_return it->second.owner;
      owners_.erase(it);
    }
  }
  auto row = co_await run_blocking(db_pool_, [this, &job_id] { return store_.get_job(job_id); });
  if (!row) {
    status = row.error().code;
    co_return std::nullopt;
  }
  std::lock_guard lock(owners_mutex_);
  if (owners_.size() >= 100000)
    owners_.clear();
  owners_[job_id] =
      CachedOwner{row->owner, std::chrono::steady_clock::now() + config_.auth_cache_ttl};
  co_return row->owner;
}

awaitable<AuthDecision> Authenticator::authorize(const Identity& identity,
                                                 const std::string& job_id) {
  if (disabled())
    co_return AuthDecision{};
  if (identity.store_unavailable)
    co_return unavailable();
  std::optional<Caller> caller = identity.caller;
  if (!caller && !identity.stream_token.empty()) {
    auto user = signer_.verify(identity.stream_token, job_id, system_clock()->now());
    if (!user)
      co_return unauthorized("the stream token is invalid, expired, or for another job");
    bool store_down = false;
    caller = co_await user_caller(*user, store_down);
    if (store_down)
      co_return unavailable();
    if (!caller)
      co_return unauthorized("the stream token's user no longer exists");
  }
  if (!caller) {
    co_return unauthorized(
        "sign in (POST /api/auth/login/) or send Authorization: Bearer with an API token");
  }
  if (caller->admin)
    co_return AuthDecision{};
  store::ErrorCode status = store::ErrorCode::internal;
  auto owner = co_await job_owner(job_id, status);
  if (!owner) {
    // A job known only to Redis has no owner yet: only admins see it.
    if (status == store::ErrorCode::not_found || status == store::ErrorCode::invalid_argument)
      co_return not_found(job_id);
    co_return unavailable();
  }
  if (*owner != caller->name)
    co_return not_found(job_id);  // never confirm that someone else's job exists
  co_return AuthDecision{};
}

void Authenticator::forget_session(const std::string& session_hash) {
  credentials_.erase("session:" + session_hash);
}

std::string prepare_auth(const ServerConfig& config, store::JobStore& store,
                         std::string& stream_token_key, std::ostream& out) {
  auto& accounts = store.auth();
  if (!config.init_admin.empty()) {
    auto existing = accounts.get_user(config.init_admin);
    if (existing) {
      spdlog::info("--init-admin: user '{}' already exists; nothing to do", config.init_admin);
    } else if (existing.error().code == store::ErrorCode::not_found) {
      const auto password = auth::generate_password();
      auto created = auth::create_user(accounts, config.init_admin, store::Role::admin, password);
      if (!created)
        return "--init-admin: " + created.error().message;
      // Printed once, to standard output, not to the log.
      out << "headway serve: created admin '" << config.init_admin << "' with password " << password
          << "\n(shown once; change it with `headway user passwd " << config.init_admin << "`)"
          << std::endl;
    } else {
      return "--init-admin: " + existing.error().message;
    }
  }
  if (config.insecure_no_auth) {
    for (int i = 0; i < 3; ++i) {
      spdlog::warn(
          "!!! AUTHENTICATION IS OFF (--insecure-no-auth): anyone who can reach this server "
          "can see, stream and cancel every job. Local development only. !!!");
    }
  } else {
    auto users = accounts.count_users();
    if (!users)
      return "cannot count users: " + users.error().message;
    if (*users == 0) {
      return "there are no users: add one with `headway user add NAME --admin`, start with "
             "--init-admin NAME, or (local development only) --insecure-no-auth";
    }
  }
  if (!config.stream_token_key.empty()) {
    stream_token_key = config.stream_token_key;
  } else {
    // The first server to start stores a key; every server sharing the
    // database then signs and checks stream tokens with the same one.
    auto key = accounts.setting_or_insert("stream_token_key", auth::random_token(32));
    if (!key)
      return "cannot read the stream-token key: " + key.error().message;
    stream_token_key = *key;
  }
  return {};
}

awaitable<AuthDecision> authorize(const RequestContext& context, std::string_view job_id) {
  if (context.authenticator == nullptr)
    co_return unauthorized("authentication is not set up");  // fail closed
  const std::string id(job_id);
  auto decision = co_await context.authenticator->authorize(context.identity, id);
  co_return decision;
}

std::optional<Response> require_credentials(const RequestContext& context,
                                            bool stream_token_pending) {
  const auto& identity = context.identity;
  if (identity.auth_disabled)
    return std::nullopt;
  if (identity.store_unavailable)
    return denied_response(context.request, unavailable());
  if (identity.caller || (stream_token_pending && !identity.stream_token.empty()))
    return std::nullopt;
  return unauthorized_response(context.request);
}

std::optional<Caller> caller_of(const RequestContext& context) {
  if (context.identity.caller)
    return context.identity.caller;
  if (context.identity.auth_disabled)
    return Caller{"anonymous", true};
  return std::nullopt;
}

Response denied_response(const Request& request, const AuthDecision& decision) {
  auto response = error_response(request, decision.status, decision.error, decision.detail);
  if (decision.status == http::status::unauthorized)
    response.set(http::field::www_authenticate, "Bearer");
  return response;
}

Response unauthorized_response(const Request& request) {
  return denied_response(request, unauthorized("sign in (POST /api/auth/login/) or send "
                                               "Authorization: Bearer with an API token"));
}

Response job_not_found_response(const Request& request, std::string_view job_id) {
  return error_response(request, http::status::not_found, "job_not_found",
                        not_found_detail(job_id));
}

bool is_state_changing(http::verb method) {
  return method == http::verb::post || method == http::verb::put || method == http::verb::patch ||
         method == http::verb::delete_;
}

std::optional<Response> check_csrf(const RequestContext& context) {
  const auto& identity = context.identity;
  if (identity.auth_disabled || identity.via != Identity::Via::session || !identity.caller)
    return std::nullopt;
  if (!is_state_changing(context.request.method()) ||
      request_path(context.request) == "/api/auth/login/")
    return std::nullopt;
  const auto sent = header_value(context.request, "X-CSRF-Token");
  if (!sent.empty() && auth::constant_time_equal(sent, identity.csrf_token))
    return std::nullopt;
  return error_response(context.request, http::status::forbidden, "csrf_failed",
                        "a request authenticated by the session cookie must send the "
                        "X-CSRF-Token header given by /api/auth/login/ or /api/auth/me/");
}

}  // namespace headway::server
