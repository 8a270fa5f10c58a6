#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace headway::auth {

// scrypt cost parameters. The defaults (N = 2^15, r = 8, p = 1: 32 MiB and
// tens of milliseconds per hash) follow OWASP's recommendation for scrypt.
struct ScryptCost {
  int log2_n = 15;
  int r = 8;
  int p = 1;
};

// Hashes a password with scrypt and a random 16-byte salt, as
// "scrypt$ln=15,r=8,p=1$<salt>$<hash>" (base64url), so the cost travels with
// the hash and can be raised later without breaking old hashes. Thread-safe.
std::string hash_password(std::string_view password, ScryptCost cost = {});

// True if `password` matches `encoded` (compared in constant time). A
// malformed `encoded` never matches. Thread-safe.
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace headway::auth
