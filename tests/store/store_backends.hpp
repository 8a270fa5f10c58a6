#pragma once

// Fixtures shared by the store's typed test suites: a fresh SQLite file or a
// fresh database in a private PostgreSQL cluster per test.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "store/job_store.hpp"
#include "store/sql_connection.hpp"
#include "store/store_url.hpp"
#include "support/postgres_server.hpp"

namespace headway::store::testing_support {

namespace fs = std::filesystem;

class FakeClock final : public Clock {
 public:
  double now() const override { return now_.load(); }
  void set(double t) { now_.store(t); }

 private:
  std::atomic<double> now_{1'700'000'000.0};
};

// A fresh, empty database per test; set up once per suite.
struct SqliteBackend {
  static inline fs::path directory;
  static inline int counter = 0;

  static std::string set_up_suite() {
    std::string pattern = (fs::temp_directory_path() / "headway-store-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      return "mkdtemp failed";
    }
    directory = pattern;
    return {};
  }
  static void tear_down_suite() { fs::remove_all(directory); }
  static std::string fresh_url() {
    return "sqlite://" + (directory / ("jobs_" + std::to_string(++counter) + ".db")).string();
  }
};

struct PostgresBackend {
  static inline std::unique_ptr<test::PostgresServer> server;
  static inline int counter = 0;

  static std::string set_up_suite() {
    try {
      server = std::make_unique<test::PostgresServer>();
    } catch (const std::exception& e) {
      return std::string("could not start PostgreSQL: ") + e.what();
    }
    return {};
  }
  static void tear_down_suite() { server.reset(); }
  static std::string fresh_url() {
    return server->create_database("jobs_" + std::to_string(++counter));
  }
};

// A connection beside the store, for looking at and tampering with tables.
inline std::unique_ptr<SqlConnection> raw_connection(const std::string& url) {
  auto location = parse_store_url(url);
  EXPECT_TRUE(location.has_value());
  auto connection = location->engine == StoreLocation::Engine::postgres
                        ? open_postgres_connection(location->target, 5)
                        : open_sqlite_connection(location->target, 5000);
  EXPECT_TRUE(connection.has_value()) << connection.error().message;
  return std::move(*connection);
}

inline std::int64_t count_rows(const std::string& url, const std::string& table) {
  auto rows = raw_connection(url)->query("SELECT COUNT(*) FROM " + table, {});
  EXPECT_TRUE(rows.has_value()) << rows.error().message;
  return std::get<std::int64_t>(rows->at(0).at(0));
}

inline std::string uuid(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "00000000-0000-4000-8000-%012d", n);
  return buffer;
}

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteBackend> ? "Sqlite" : "Postgres";
  }
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;

}  // namespace headway::store::testing_support
