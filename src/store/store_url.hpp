#pragma once

#include <string>
#include <string_view>

#include "store/result.hpp"

namespace headway::store {

// Where a store URL points (see open_job_store for the accepted forms).
struct StoreLocation {
  enum class Engine { sqlite, postgres };
  Engine engine = Engine::sqlite;
  // SQLite: the file path or ":memory:". PostgreSQL: the URI, passed to libpq as is.
  std::string target;
};

Result<StoreLocation> parse_store_url(std::string_view url);

// The URL with any password replaced by "***", for logs and error messages.
std::string redact_url(std::string_view url);

}  // namespace headway::store
