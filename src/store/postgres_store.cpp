// The PostgreSQL driver under the job store: one libpq connection, queries
// always parameterized (PQexecParams), reconnecting lazily when it breaks.

#include <libpq-fe.h>

#include <charconv>
#include <string>

#include "store/sql_connection.hpp"

namespace headway::store {
namespace {

// Built-in type OIDs (catalog/pg_type.h is only in the server headers).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Serializes migrations across every process sharing the database; the value
// is arbitrary but fixed ("headway" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(29400045130965369)";

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

// The SQL is shared with SQLite and written with `?`; libpq wants $1, $2, ...
// None of the store's statements contain a literal question mark.
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  for (char c : sql) {
    if (c == '?') {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_double(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

ErrorCode code_for_sqlstate(std::string_view state) {
  if (state == "23505") {
    return ErrorCode::already_exists;
  }
  // Class 08: connection exceptions; 57P0x: the server is shutting down or
  // restarting. Both mean "try again later", not "your query is wrong".
  if (state.starts_with("08") || state.starts_with("57P0")) {
    return ErrorCode::unavailable;
  }
  return ErrorCode::internal;
}

Result<SqlValue> cell(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) {
    return SqlValue{std::monostate{}};
  }
  const char* text = PQgetvalue(result, row, column);
  const std::string_view value(text, static_cast<std::size_t>(PQgetlength(result, row, column)));
  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      std::int64_t number = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Error{ErrorCode::internal,
                     "postgres: unreadable integer '" + std::string(value) + "'"};
      }
      return SqlValue{number};
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double number = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Error{ErrorCode::internal,
                     "postgres: unreadable number '" + std::string(value) + "'"};
      }
      return SqlValue{number};
    }
    case kBoolOid:
    default:
      return SqlValue{std::string(value)};
  }
}

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(std::string uri, int connect_timeout_s)
      : uri_(std::move(uri)), connect_timeout_(std::to_string(connect_timeout_s)) {}
  ~PostgresConnection() override {
    if (conn_) {
      PQfinish(conn_);
    }
  }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  SqlDialect dialect() const override { return SqlDialect::postgres; }

  // Connects if there is no healthy connection. Called at the start of every
  // operation, so a connection that broke during one call is replaced on the
  // next; calls in between fail fast with `unavailable`.
  Result<void> ensure_connected() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
      return {};
    }
    if (conn_) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    // Later keywords override earlier ones, so the URI (expanded from dbname)
    // can override these defaults.
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {connect_timeout_.c_str(), "headway", uri_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (!conn_) {
      return Error{ErrorCode::unavailable, "postgres: out of memory allocating a connection"};
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
      Error error{ErrorCode::unavailable,
                  "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn_))};
      PQfinish(conn_);
      conn_ = nullptr;
      return error;
    }
    // Notices such as "relation already exists, skipping" are expected noise.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return {};
  }

  Result<void> execute_script(std::string_view sql) override {
    if (auto connected = ensure_connected(); !connected) {
      return connected.error();
    }
    const std::string text(sql);
    ResultPtr result(PQexec(conn_, text.c_str()));
    if (auto checked = check(result.get()); !checked) {
      return checked.error();
    }
    return {};
  }

  Result<std::int64_t> execute(std::string_view sql, std::span<const SqlParam> params) override {
    auto result = run(sql, params);
    if (!result) {
      return result.error();
    }
    const char* affected = PQcmdTuples(result->get());
    std::int64_t count = 0;
    if (affected && *affected) {
      std::from_chars(affected, affected + std::char_traits<char>::length(affected), count);
    }
    return count;
  }

  Result<std::vector<SqlRow>> query(std::string_view sql,
                                    std::span<const SqlParam> params) override {
    auto result = run(sql, params);
    if (!result) {
      return result.error();
    }
    const PGresult* res = result->get();
    const int row_count = PQntuples(res);
    const int column_count = PQnfields(res);
    std::vector<SqlRow> rows(static_cast<std::size_t>(row_count));
    for (int r = 0; r < row_count; ++r) {
      SqlRow& row = rows[static_cast<std::size_t>(r)];
      row.reserve(static_cast<std::size_t>(column_count));
      for (int c = 0; c < column_count; ++c) {
        auto value = cell(res, r, c);
        if (!value) {
          return value.error();
        }
        row.push_back(std::move(*value));
      }
    }
    return rows;
  }

  Result<void> begin_exclusive() override {
    if (auto begun = execute_script("BEGIN"); !begun) {
      return begun;
    }
    if (auto locked = execute_script(kMigrationLock); !locked) {
      rollback();
      return locked;
    }
    return {};
  }
  Result<void> commit() override { return execute_script("COMMIT"); }
  void rollback() override {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      ResultPtr ignored(PQexec(conn_, "ROLLBACK"));
    }
  }

 private:
  Result<ResultPtr> run(std::string_view sql, std::span<const SqlParam> params) {
    if (auto connected = ensure_connected(); !connected) {
      return connected.error();
    }
    const std::string text = number_placeholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), kTextOid);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      switch (p.type) {
        case SqlParam::Type::integer:
          types[i] = kInt8Oid;
          storage[i] = std::to_string(p.integer);
          break;
        case SqlParam::Type::real:
          types[i] = kFloat8Oid;
          storage[i] = format_double(p.real);
          break;
        case SqlParam::Type::text:
          types[i] = kTextOid;
          storage[i] = p.text;
          break;
      }
      values[i] = p.is_null ? nullptr : storage[i].c_str();
    }
    ResultPtr result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()),
                                  types.data(), values.data(), nullptr, nullptr,
                                  /*resultFormat=*/0));
    if (auto checked = check(result.get()); !checked) {
      return checked.error();
    }
    return result;
  }

  Result<void> check(const PGresult* result) {
    const bool connection_lost = PQstatus(conn_) != CONNECTION_OK;
    if (!result) {
      return Error{connection_lost ? ErrorCode::unavailable : ErrorCode::internal,
                   "postgres: " + trimmed(PQerrorMessage(conn_))};
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      return {};
    }
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    ErrorCode code = code_for_sqlstate(state ? state : "");
    if (connection_lost) {
      code = ErrorCode::unavailable;
    }
    std::string message = trimmed(PQresultErrorMessage(result));
    if (message.empty()) {
      message = trimmed(PQerrorMessage(conn_));
    }
    return Error{code, "postgres: " + message};
  }

  std::string uri_;
  std::string connect_timeout_;
  PGconn* conn_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_postgres_connection(const std::string& uri,
                                                                int connect_timeout_s) {
  auto connection = std::make_unique<PostgresConnection>(uri, connect_timeout_s);
  if (auto connected = connection->ensure_connected(); !connected) {
    return connected.error();
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace headway::store
