#pragma once

#include <cstdint>
#include <span>

#include "store/migrations/migrations.hpp"
#include "store/result.hpp"
#include "store/sql_connection.hpp"

namespace headway::store {

// Brings the database up to the last of `migrations` (versions 1..N in order)
// and returns the version it ends at. Each migration runs once, in its own
// exclusive transaction together with its row in `schema_migrations`, so
// several processes starting at once apply it exactly once and a failure
// leaves the previous version intact. A database already past N (migrated by
// a newer build) is refused with ErrorCode::schema.
Result<std::int64_t> migrate(SqlConnection& connection, std::span<const Migration> migrations,
                             double now);

}  // namespace headway::store
