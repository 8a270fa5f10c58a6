#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

// An invariant a fuzz target asserts: when it does not hold, the input is a
// finding. Aborts, so libFuzzer saves the input as a crash.
#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace headway::fuzz {

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace headway::fuzz
