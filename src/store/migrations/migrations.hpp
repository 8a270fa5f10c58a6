#pragma once

#include <cstdint>
#include <span>

namespace headway::store {

// One schema change. Versions start at 1 and increase by one; a released
// migration is never edited, only followed by a new one.
struct Migration {
  std::int64_t version;
  const char* name;
  // Runs on both engines unless postgres_sql is set.
  const char* sql;
  // The PostgreSQL text when the dialects must differ; nullptr when they agree.
  const char* postgres_sql = nullptr;
};

// Every migration this build knows, in version order.
std::span<const Migration> job_store_migrations();

}  // namespace headway::store
