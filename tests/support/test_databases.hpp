#pragma once

// The job-table backends that the integration suites run against: every
// suite parameterized with `database_backends()` runs once on SQLite and once
// on a real PostgreSQL.

#include <gtest/gtest.h>

#include <string>

namespace headway::test {

inline auto database_backends() {
  return ::testing::Values(std::string("sqlite"), std::string("postgres"));
}

struct DatabaseBackendName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return info.param;
  }
};

// For "postgres": the URL of a fresh, empty database in this test program's
// private PostgreSQL cluster (started on first use, stopped at exit). For
// "sqlite": an empty string, which the fixtures read as "a private SQLite file
// in the test's temp dir".
std::string fresh_database(const std::string& backend);

}  // namespace headway::test
