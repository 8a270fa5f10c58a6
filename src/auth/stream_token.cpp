#include "auth/stream_token.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "auth/crypto.hpp"

namespace headway::auth {

StreamTokenSigner::StreamTokenSigner(std::string key, double max_lifetime_seconds)
    : key_(std::move(key)), max_lifetime_(max_lifetime_seconds) {
  if (key_.size() < 32)
    throw std::invalid_argument("stream token key must be at least 32 bytes");
}

std::string StreamTokenSigner::signature(std::string_view job_id, std::string_view user,
                                         std::string_view expires_at) const {
  std::string message = "stream\n";
  message.append(job_id).append("\n").append(user).append("\n").append(expires_at);
  return hmac_sha256(key_, message);
}

std::string StreamTokenSigner::issue(std::string_view job_id, std::string_view user,
                                     double expires_at) const {
  const std::string expiry = std::to_string(static_cast<long long>(std::floor(expires_at)));
  return expiry + "." + base64url_encode(user) + "." + signature(job_id, user, expiry);
}

std::optional<std::string> StreamTokenSigner::verify(std::string_view token,
                                                     std::string_view job_id, double now) const {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos)
    return std::nullopt;
  const std::string_view expiry = token.substr(0, first);
  const std::string user = base64url_decode(token.substr(first + 1, second - first - 1));
  const std::string_view given = token.substr(second + 1);
  long long expires_at = 0;
  auto [end, ec] = std::from_chars(expiry.data(), expiry.data() + expiry.size(), expires_at);
  if (ec != std::errc{} || end != expiry.data() + expiry.size() || user.empty()) {
    return std::nullopt;
  }
  if (!constant_time_equal(given, signature(job_id, user, expiry)))
    return std::nullopt;
  const auto expiry_time = static_cast<double>(expires_at);
  if (expiry_time <= now || expiry_time > now + max_lifetime_ + kClockSkewSeconds)
    return std::nullopt;
  return user;
}

}  // namespace headway::auth
