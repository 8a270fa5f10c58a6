#pragma once

namespace headway {

// The library's version, "MAJOR.MINOR.PATCH".
const char* version();

}  // namespace headway
