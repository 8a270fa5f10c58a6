#include "store/migrate.hpp"

#include <string>

namespace headway::store {
namespace {

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    BIGINT NOT NULL PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at DOUBLE PRECISION NOT NULL
)
)sql";

// Keeps `unavailable` and `busy` as they are (the caller may retry); anything
// else during a migration is a schema problem.
Error as_schema_error(const Error& error, const std::string& context) {
  const bool transient = error.code == ErrorCode::unavailable || error.code == ErrorCode::busy;
  return Error{transient ? error.code : ErrorCode::schema, context + ": " + error.message};
}

Result<std::int64_t> current_version(SqlConnection& connection) {
  auto rows = connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!rows) {
    return rows.error();
  }
  if (rows->size() != 1 || !std::holds_alternative<std::int64_t>(rows->front().at(0))) {
    return Error{ErrorCode::schema, "schema_migrations: unexpected version value"};
  }
  return std::get<std::int64_t>(rows->front()[0]);
}

}  // namespace

Result<std::int64_t> migrate(SqlConnection& connection, std::span<const Migration> migrations,
                             double now) {
  const auto latest = static_cast<std::int64_t>(migrations.size());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<std::int64_t>(i) + 1) {
      return Error{ErrorCode::schema, "migration versions must run 1, 2, 3, ... without gaps"};
    }
  }

  // One exclusive transaction per step; the version is read again each time
  // because another process may have moved it while we waited for the lock.
  for (;;) {
    if (auto begun = connection.begin_exclusive(); !begun) {
      return as_schema_error(begun.error(), "starting a migration");
    }
    auto step = [&]() -> Result<std::int64_t> {
      if (auto created = connection.execute_script(kCreateMigrationsTable); !created) {
        return as_schema_error(created.error(), "creating schema_migrations");
      }
      auto version = current_version(connection);
      if (!version) {
        return as_schema_error(version.error(), "reading schema_migrations");
      }
      if (*version > latest) {
        return Error{ErrorCode::schema,
                     "the database is at schema version " + std::to_string(*version) +
                         ", newer than this build knows (" + std::to_string(latest) + ")"};
      }
      if (*version == latest) {
        return *version;
      }
      const Migration& next = migrations[static_cast<std::size_t>(*version)];
      const std::string context =
          "migration " + std::to_string(next.version) + " (" + next.name + ")";
      const char* sql = connection.dialect() == SqlDialect::postgres && next.postgres_sql
                            ? next.postgres_sql
                            : next.sql;
      if (auto applied = connection.execute_script(sql); !applied) {
        return as_schema_error(applied.error(), context);
      }
      const SqlParam record[] = {SqlParam::of(next.version), SqlParam::of(next.name),
                                 SqlParam::of(now)};
      auto recorded = connection.execute(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", record);
      if (!recorded) {
        return as_schema_error(recorded.error(), context);
      }
      return next.version;
    }();
    if (!step) {
      connection.rollback();
      return step.error();
    }
    if (auto committed = connection.commit(); !committed) {
      connection.rollback();
      return as_schema_error(committed.error(), "committing a migration");
    }
    if (*step == latest) {
      return latest;
    }
  }
}

}  // namespace headway::store
