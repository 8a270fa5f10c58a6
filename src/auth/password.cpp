#include "auth/password.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "auth/crypto.hpp"

namespace headway::auth {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// scrypt needs 128 * r * (N + 2) + 128 * r * p bytes: for the defaults just
// over 128 MiB, which OpenSSL's own cap (32 MiB) would refuse. This cap allows
// one doubling of N and bounds what a tampered stored hash can make a login
// allocate.
constexpr std::uint64_t kMaxMemory = 257ull * 1024 * 1024;

bool derive(std::string_view password, std::string_view salt, ScryptCost cost, std::string& out) {
  if (cost.log2_n < 1 || cost.log2_n > 22 || cost.r < 1 || cost.r > 32 || cost.p < 1 ||
      cost.p > 16) {
    return false;
  }
  out.assign(kHashBytes, '\0');
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                        std::uint64_t{1} << cost.log2_n, static_cast<std::uint64_t>(cost.r),
                        static_cast<std::uint64_t>(cost.p), kMaxMemory,
                        reinterpret_cast<unsigned char*>(out.data()), out.size()) == 1;
}

bool parse_int_field(std::string_view text, std::string_view name, int& value) {
  if (!text.starts_with(name) || text.size() <= name.size() || text[name.size()] != '=') {
    return false;
  }
  text.remove_prefix(name.size() + 1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

}  // namespace

std::string hash_password(std::string_view password, ScryptCost cost) {
  const std::string salt = base64url_decode(random_token(kSaltBytes));
  std::string hash;
  if (!derive(password, salt, cost, hash)) {
    throw std::invalid_argument("scrypt failed: cost parameters out of range or out of memory");
  }
  return "scrypt$ln=" + std::to_string(cost.log2_n) + ",r=" + std::to_string(cost.r) +
         ",p=" + std::to_string(cost.p) + "$" + base64url_encode(salt) + "$" +
         base64url_encode(hash);
}

namespace {

// The cost and the salt and hash fields of an encoded hash.
struct Encoded {
  ScryptCost cost;
  std::string_view salt;
  std::string_view hash;
};

std::optional<Encoded> parse_encoded(std::string_view encoded) {
  const auto parts = split(encoded, '$');
  if (parts.size() != 4 || parts[0] != "scrypt")
    return std::nullopt;
  const auto params = split(parts[1], ',');
  Encoded result;
  ScryptCost& cost = result.cost;
  if (params.size() != 3 || !parse_int_field(params[0], "ln", cost.log2_n) ||
      !parse_int_field(params[1], "r", cost.r) || !parse_int_field(params[2], "p", cost.p)) {
    return std::nullopt;
  }
  result.salt = parts[2];
  result.hash = parts[3];
  return result;
}

}  // namespace

bool needs_rehash(std::string_view encoded) {
  const auto parsed = parse_encoded(encoded);
  const ScryptCost current;
  return !parsed || parsed->cost.log2_n < current.log2_n || parsed->cost.r < current.r ||
         parsed->cost.p < current.p;
}

bool verify_password(std::string_view password, std::string_view encoded) {
  const auto parsed = parse_encoded(encoded);
  if (!parsed)
    return false;
  const std::string salt = base64url_decode(parsed->salt);
  const std::string expected = base64url_decode(parsed->hash);
  if (salt.empty() || expected.size() != kHashBytes)
    return false;
  std::string actual;
  return derive(password, salt, parsed->cost, actual) && constant_time_equal(actual, expected);
}

}  // namespace headway::auth
