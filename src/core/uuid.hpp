#pragma once

#include <string>
#include <string_view>

namespace headway {

// True for the canonical 8-4-4-4-12 hexadecimal form (either case).
bool is_uuid(std::string_view text);

// A random (version 4) UUID in lower case, from the OS's random source.
std::string make_uuid();

}  // namespace headway
