#include "server/api/auth_handlers.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>

#include "auth/accounts.hpp"
#include "auth/crypto.hpp"
#include "core/progress_record.hpp"
#include "headway/clock.hpp"
#include "server/api/progress_handlers.hpp"
#include "server/auth/authenticator.hpp"
#include "server/http/cors.hpp"
#include "server/run_blocking.hpp"

namespace headway::server {
namespace {

namespace json = boost::json;

// The client's address for rate limiting: the socket's peer, or with
// --trust-proxy the last X-Forwarded-For hop (the one our proxy added).
std::string client_address(const RequestContext& context, bool trust_proxy) {
  if (trust_proxy) {
    auto forwarded = header_value(context.request, "X-Forwarded-For");
    if (!forwarded.empty()) {
      const auto comma = forwarded.rfind(',');
      auto last = comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
      while (!last.empty() && last.front() == ' ')
        last.remove_prefix(1);
      return std::string(last);
    }
  }
  error_code ec;
  auto endpoint = context.stream.socket().remote_endpoint(ec);
  return ec ? std::string("unknown") : endpoint.address().to_string();
}

// Secure only when the browser reached us over TLS, which the server itself
// never terminates: so only a trusted proxy saying so makes it Secure.
std::string cookie_attributes(const ServerConfig& config, const Request& request) {
  std::string attributes = "; Path=/; HttpOnly; SameSite=Lax";
  if (request_scheme(config, request) == "https")
    attributes += "; Secure";
  return attributes;
}

std::string account_json(std::string_view user, bool admin, std::string_view csrf_token) {
  std::string body = "{\"user\":";
  append_json_string(body, user);
  body += ",\"role\":";
  body += admin ? "\"admin\"" : "\"user\"";
  body += ",\"csrf_token\":";
  if (csrf_token.empty())
    body += "null";
  else
    append_json_string(body, csrf_token);
  body += '}';
  return body;
}

struct LoginRequest {
  std::string username;
  std::string password;
};

std::optional<LoginRequest> parse_login(const Request& request) {
  boost::system::error_code ec;
  auto value = json::parse(request.body(), ec);
  if (ec || !value.is_object())
    return std::nullopt;
  const auto& object = value.as_object();
  auto user = object.if_contains("username");
  auto password = object.if_contains("password");
  if (!user || !password || !user->is_string() || !password->is_string())
    return std::nullopt;
  return LoginRequest{std::string(user->as_string()), std::string(password->as_string())};
}

}  // namespace

Handler login_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    auto& request = context.request;
    auto& authenticator = services.auth;
    // JSON only: a cross-site HTML form cannot send it, so no one can sign a
    // visitor in to an account of theirs behind their back.
    if (!header_value(request, "Content-Type").starts_with("application/json")) {
      co_return error_response(request, http::status::unsupported_media_type,
                               "unsupported_media_type",
                               "send {\"username\":..,\"password\":..} as application/json");
    }
    auto login = parse_login(request);
    if (!login) {
      co_return error_response(request, http::status::bad_request, "bad_request",
                               "expected {\"username\": string, \"password\": string}");
    }
    const std::string address = client_address(context, services.config.trust_proxy);
    std::string quoted_user;
    append_json_string(quoted_user, login->username);  // safe to log, whatever it holds
    auto& limiter = authenticator.login_limiter();
    const double began = system_clock()->now();
    const double wait = limiter.begin_attempt(login->username, address, began);
    if (wait > 0) {
      spdlog::warn("login refused (rate limit) for user {} from {}", quoted_user, address);
      auto response = error_response(request, http::status::too_many_requests, "too_many_attempts",
                                     "too many failed logins; try again later");
      response.set(http::field::retry_after, std::to_string(static_cast<long>(std::ceil(wait))));
      co_return response;
    }
    auto& accounts = authenticator.accounts();
    const LoginRequest& credentials = *login;
    std::optional<store::Result<bool>> rehashed;
    auto user = co_await run_blocking(authenticator.password_pool(), [&] {
      auto checked = auth::check_password(accounts, credentials.username, credentials.password);
      if (checked)
        rehashed = auth::rehash_if_outdated(accounts, *checked, credentials.password);
      return checked;
    });
    if (!user) {
      if (user.error().code != store::ErrorCode::not_found) {
        limiter.abandon(login->username, address, began);
        co_return error_response(request, http::status::service_unavailable, "unavailable",
                                 "the account database cannot be reached");
      }
      spdlog::warn("login failed for user {} from {}", quoted_user, address);
      co_return error_response(request, http::status::unauthorized, "invalid_credentials",
                               "wrong user name or password");
    }
    limiter.succeeded(login->username, address, began);
    if (rehashed && !*rehashed) {
      spdlog::warn("login: cannot store user {}'s password at the current cost: {}", quoted_user,
                   rehashed->error().message);
    } else if (rehashed && **rehashed) {
      spdlog::info("login: user {}'s password rehashed at the current scrypt cost", quoted_user);
    }
    const std::string session_id = auth::random_token(32);
    const std::string session_hash = auth::sha256_hex(session_id);
    store::Session session;
    session.user = user->name;
    session.csrf_token = auth::random_token(32);
    const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(services.config.session_ttl);
    session.expires_at = system_clock()->now() + static_cast<double>(ttl.count());
    auto created =
        co_await run_blocking(authenticator.db_pool(), [&accounts, &session_hash, &session] {
          return accounts.create_session(session_hash, session);
        });
    if (!created) {
      co_return error_response(request, http::status::service_unavailable, "unavailable",
                               "the account database cannot be reached");
    }
    spdlog::info("login: user {} from {}", quoted_user, address);
    auto response = json_response(
        request, http::status::ok,
        account_json(user->name, user->role == store::Role::admin, session.csrf_token));
    response.set(http::field::set_cookie, std::string(kSessionCookie) + "=" + session_id +
                                              "; Max-Age=" + std::to_string(ttl.count()) +
                                              cookie_attributes(services.config, request));
    co_return response;
  };
}

Handler logout_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    const auto& identity = context.identity;
    if (!identity.session_hash.empty()) {
      auto& accounts = services.auth.accounts();
      const std::string& hash = identity.session_hash;
      auto deleted = co_await run_blocking(
          services.auth.db_pool(), [&accounts, &hash] { return accounts.delete_session(hash); });
      services.auth.forget_session(hash);
      if (!deleted && deleted.error().code != store::ErrorCode::not_found) {
        co_return error_response(context.request, http::status::service_unavailable, "unavailable",
                                 "the account database cannot be reached");
      }
    }
    auto response = json_response(context.request, http::status::ok, "{\"status\":\"logged_out\"}");
    response.set(http::field::set_cookie, std::string(kSessionCookie) + "=; Max-Age=0" +
                                              cookie_attributes(services.config, context.request));
    co_return response;
  };
}

Handler me_handler() {
  return [](RequestContext& context) -> awaitable<std::optional<Response>> {
    const auto& identity = context.identity;
    if (auto refused = require_credentials(context))
      co_return refused;
    auto caller = caller_of(context);
    if (!caller)
      co_return unauthorized_response(context.request);
    std::string body = account_json(caller->name, caller->admin, identity.csrf_token);
    if (identity.auth_disabled) {
      body.pop_back();
      body += ",\"auth\":\"disabled (insecure)\"}";
    }
    co_return json_response(context.request, http::status::ok, std::move(body));
  };
}

Handler stream_token_handler(Services& services) {
  return [&services](RequestContext& context) -> awaitable<std::optional<Response>> {
    std::string job_id;
    if (auto error = co_await check_job_request(context, job_id))
      co_return error;
    const auto caller = caller_of(context);
    const std::string user = caller ? caller->name : "anonymous";
    const auto ttl = std::chrono::duration<double>(services.config.stream_token_ttl).count();
    const double expires_at = std::floor(system_clock()->now() + ttl);
    std::string body = "{\"token\":";
    append_json_string(body, services.auth.stream_tokens().issue(job_id, user, expires_at));
    body += ",\"expires_at\":" + std::to_string(static_cast<std::int64_t>(expires_at)) + "}";
    co_return json_response(context.request, http::status::ok, std::move(body));
  };
}

}  // namespace headway::server
