#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Small wrappers over OpenSSL for the auth code: random secrets, hashes, HMAC
// and comparisons that take the same time whatever the inputs hold.
// All functions are thread-safe.
namespace headway::auth {

// `bytes` bytes from the OS's CSPRNG, base64url-encoded without padding.
std::string random_token(std::size_t bytes = 32);

// SHA-256 of `data`, lower-case hex. For high-entropy secrets (API tokens,
// session ids) a fast hash is the right choice: guessing them is hopeless, and
// the server can look them up by hash.
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 of `data` under `key`, base64url-encoded without padding.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Equality in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string base64url_encode(std::string_view bytes);
// Empty on malformed input.
std::string base64url_decode(std::string_view text);

}  // namespace headway::auth
