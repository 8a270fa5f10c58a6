#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace headway::auth {

// scrypt cost parameters. The defaults (N = 2^17, r = 8, p = 1) are OWASP's
// recommendation for scrypt: each hash takes 128 MiB (128 * N * r bytes) for
// the few hundred milliseconds it runs.
struct ScryptCost {
  int log2_n = 17;
  int r = 8;
  int p = 1;
};

// Hashes a password with scrypt and a random 16-byte salt, as
// "scrypt$ln=17,r=8,p=1$<salt>$<hash>" (base64url), so the cost travels with
// the hash and can be raised later without breaking old hashes. Thread-safe.
std::string hash_password(std::string_view password, ScryptCost cost = {});

// True if `password` matches `encoded` (compared in constant time). A
// malformed `encoded`, or one whose cost would need more than 257 MiB (N =
// 2^18 at r = 8), never matches. Thread-safe.
bool verify_password(std::string_view password, std::string_view encoded);

// Whether `encoded` was made with a lower cost than the default in any
// parameter (or is malformed), so it should be replaced by a fresh hash the
// next time the password is known, at a successful login.
bool needs_rehash(std::string_view encoded);

}  // namespace headway::auth
