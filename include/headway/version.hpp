#pragma once

#include "headway/export.hpp"

namespace headway {

// The library's version, "MAJOR.MINOR.PATCH".
HEADWAY_API const char* version();

}  // namespace headway
