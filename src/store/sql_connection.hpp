#pragma once

// The small driver seam under the job store: the job logic and its SQL are
// written once (sql_job_store.cpp) against this interface, and each engine
// supplies a connection (sqlite_store.cpp, postgres_store.cpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/result.hpp"

namespace headway::store {

// A bound parameter. Nulls carry a type so PostgreSQL can infer the column type.
struct SqlParam {
  enum class Type { integer, real, text };
  Type type = Type::text;
  bool is_null = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;

  static SqlParam of(std::int64_t v) { return {Type::integer, false, v, 0, {}}; }
  static SqlParam of(double v) { return {Type::real, false, 0, v, {}}; }
  static SqlParam of(std::string_view v) { return {Type::text, false, 0, 0, std::string(v)}; }
  static SqlParam of(const char* v) { return of(std::string_view(v)); }
  static SqlParam of(const std::string& v) { return of(std::string_view(v)); }
  static SqlParam of(const std::optional<double>& v) { return v ? of(*v) : null(Type::real); }
  static SqlParam null(Type type) { return {type, true, 0, 0, {}}; }
};

// One cell of a result row.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;

// Which SQL engine sits behind a connection, for the few places the dialects differ.
enum class SqlDialect { sqlite, postgres };

// One database connection. SQL uses `?` placeholders on every engine; the
// PostgreSQL driver numbers them. Not thread-safe: the owning store serializes.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual SqlDialect dialect() const = 0;

  // Runs statements that take no parameters (may contain several; migrations).
  virtual Result<void> execute_script(std::string_view sql) = 0;

  // Runs one statement; returns the number of rows it changed.
  virtual Result<std::int64_t> execute(std::string_view sql, std::span<const SqlParam> params) = 0;

  // Runs one statement; returns all its rows.
  virtual Result<std::vector<SqlRow>> query(std::string_view sql,
                                            std::span<const SqlParam> params) = 0;

  // Starts a transaction that no other connection can be migrating or writing
  // in at the same time (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock).
  virtual Result<void> begin_exclusive() = 0;
  virtual Result<void> commit() = 0;
  // Best effort: a dead connection has already lost its transaction.
  virtual void rollback() = 0;
};

Result<std::unique_ptr<SqlConnection>> open_sqlite_connection(const std::string& path,
                                                              int busy_timeout_ms);
Result<std::unique_ptr<SqlConnection>> open_postgres_connection(const std::string& uri,
                                                                int connect_timeout_s);

}  // namespace headway::store
