// The SQLite driver under the job store: one sqlite3 handle in WAL mode with a
// cache of prepared statements.

#include <sqlite3.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <unordered_map>

#include "store/sql_connection.hpp"

namespace headway::store {
namespace {

// Extended result codes keep the distinctions a caller acts on.
Error sqlite_error(sqlite3* db, int rc, std::string_view context) {
  const int primary = rc & 0xff;
  ErrorCode code = ErrorCode::internal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    code = ErrorCode::busy;
  } else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    code = ErrorCode::already_exists;
  } else if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
             primary == SQLITE_READONLY || primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    code = ErrorCode::unavailable;
  }
  std::string message(context);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code, std::move(message)};
}

// Owns a prepared statement for one call and resets it afterwards, so the
// cached statement is ready for the next use.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

// Which file a path names: unlinking or replacing the file changes it.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

std::optional<FileIdentity> identity_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return std::nullopt;
  return FileIdentity{info.st_dev, info.st_ino};
}

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [sql, statement] : statements_) {
      sqlite3_finalize(statement);
    }
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  SqlDialect dialect() const override { return SqlDialect::sqlite; }

  Result<void> execute_script(std::string_view sql) override {
    if (auto gone = check_file(); !gone)
      return gone.error();
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK) {
      return sqlite_error(db_, sqlite3_extended_errcode(db_), "sqlite");
    }
    return {};
  }

  Result<std::int64_t> execute(std::string_view sql, std::span<const SqlParam> params) override {
    auto rows = run(sql, params, nullptr);
    if (!rows) {
      return rows.error();
    }
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  Result<std::vector<SqlRow>> query(std::string_view sql,
                                    std::span<const SqlParam> params) override {
    std::vector<SqlRow> rows;
    auto ran = run(sql, params, &rows);
    if (!ran) {
      return ran.error();
    }
    return rows;
  }

  // From here on every statement first checks that the path still names the
  // file this connection has open. SQLite keeps working on an unlinked file
  // (the descriptor keeps it alive) and everything written to it would be
  // lost when the process ends, so a deleted or replaced file fails every
  // call instead: the health check reports it, and writes are refused with
  // a clear error. Reopening is not attempted: it would create an empty
  // job table and quietly lose every job.
  void remember_file() { identity_ = identity_of(path_); }

  Result<void> begin_exclusive() override { return execute_script("BEGIN IMMEDIATE"); }
  Result<void> commit() override { return execute_script("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

 private:
  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    std::string key(sql);
    if (auto found = statements_.find(key); found != statements_.end()) {
      return found->second;
    }
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
      return sqlite_error(db_, sqlite3_extended_errcode(db_), "sqlite prepare");
    }
    statements_.emplace(std::move(key), statement);
    return statement;
  }

  Result<void> bind(sqlite3_stmt* statement, std::span<const SqlParam> params) {
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(statement)) {
      return Error{ErrorCode::internal, "sqlite: wrong number of parameters"};
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlParam& p = params[i];
      int rc = SQLITE_OK;
      if (p.is_null) {
        rc = sqlite3_bind_null(statement, index);
      } else if (p.type == SqlParam::Type::integer) {
        rc = sqlite3_bind_int64(statement, index, p.integer);
      } else if (p.type == SqlParam::Type::real) {
        rc = sqlite3_bind_double(statement, index, p.real);
      } else {
        rc = sqlite3_bind_text64(statement, index, p.text.data(), p.text.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) {
        return sqlite_error(db_, rc, "sqlite bind");
      }
    }
    return {};
  }

  static SqlValue column(sqlite3_stmt* statement, int index) {
    switch (sqlite3_column_type(statement, index)) {
      case SQLITE_INTEGER:
        return static_cast<std::int64_t>(sqlite3_column_int64(statement, index));
      case SQLITE_FLOAT:
        return sqlite3_column_double(statement, index);
      case SQLITE_NULL:
        return std::monostate{};
      default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, index));
        const int size = sqlite3_column_bytes(statement, index);
        return std::string(text ? text : "", static_cast<std::size_t>(size));
      }
    }
  }

  Result<void> check_file() const {
    if (!identity_ || identity_of(path_) == identity_)
      return {};
    return Error{ErrorCode::unavailable,
                 "the SQLite database file '" + path_ +
                     "' was deleted or replaced while open; nothing more is written to it "
                     "(it would be lost): restore the file or restart headway"};
  }

  Result<void> run(std::string_view sql, std::span<const SqlParam> params,
                   std::vector<SqlRow>* rows) {
    if (auto gone = check_file(); !gone)
      return gone.error();
    auto prepared = prepare(sql);
    if (!prepared) {
      return prepared.error();
    }
    StatementUse use(*prepared);
    if (auto bound = bind(use.get(), params); !bound) {
      return bound.error();
    }
    for (;;) {
      const int rc = sqlite3_step(use.get());
      if (rc == SQLITE_DONE) {
        return {};
      }
      if (rc != SQLITE_ROW) {
        return sqlite_error(db_, sqlite3_extended_errcode(db_), "sqlite");
      }
      if (rows) {
        const int columns = sqlite3_column_count(use.get());
        SqlRow& row = rows->emplace_back();
        row.reserve(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) {
          row.push_back(column(use.get(), c));
        }
      }
    }
  }

  sqlite3* db_;
  std::string path_;
  std::optional<FileIdentity> identity_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_sqlite_connection(const std::string& path,
                                                              int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db, rc, "opening SQLite database '" + path + "'");
    error.code = ErrorCode::unavailable;
    sqlite3_close_v2(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  auto connection = std::make_unique<SqliteConnection>(db, path);

  // WAL lets readers in other processes (the CLI, a second server) proceed
  // while the recorder writes; NORMAL sync is durable across process crashes
  // in WAL mode and much cheaper than FULL. An in-memory database stays in
  // its own "memory" journal mode.
  const bool in_memory = path == ":memory:";
  if (!in_memory) {
    auto mode = connection->query("PRAGMA journal_mode=WAL", {});
    if (!mode) {
      return mode.error();
    }
    if (mode->empty() || !std::holds_alternative<std::string>(mode->front().at(0)) ||
        std::get<std::string>(mode->front()[0]) != "wal") {
      return Error{ErrorCode::unavailable, "SQLite database '" + path + "' refused WAL mode"};
    }
    // The file is open by now (journal_mode read its header).
    connection->remember_file();
  }
  if (auto pragmas = connection->execute_script("PRAGMA synchronous=NORMAL; "
                                                "PRAGMA foreign_keys=ON;");
      !pragmas) {
    return pragmas.error();
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace headway::store
