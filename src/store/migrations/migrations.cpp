#include "store/migrations/migrations.hpp"

namespace headway::store {

// One logical schema for both engines. The column types are spelled so that
// both accept them: SQLite maps DOUBLE PRECISION to REAL affinity and BIGINT
// to INTEGER affinity. JSON stays TEXT on both (validated by the store), so
// params round-trip byte for byte.
//
// Users and API tokens come next as version 2 (`users`, `api_tokens`); SQLite
// connections already run with foreign_keys=ON for them.
namespace {

constexpr const char* kCreateJobs = R"sql(
CREATE TABLE jobs (
  id               TEXT NOT NULL PRIMARY KEY,
  owner            TEXT NOT NULL,
  type             TEXT NOT NULL,
  params           TEXT NOT NULL DEFAULT '{}',
  status           TEXT NOT NULL CHECK (status IN
                     ('queued', 'initializing', 'running', 'completed', 'failed', 'cancelled')),
  stage            TEXT NOT NULL DEFAULT '',
  stage_progress   DOUBLE PRECISION NOT NULL DEFAULT 0,
  overall_progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  eta_seconds      DOUBLE PRECISION,
  error            TEXT NOT NULL DEFAULT '',
  attempts         BIGINT NOT NULL DEFAULT 0,
  created_at       DOUBLE PRECISION NOT NULL,
  started_at       DOUBLE PRECISION,
  finished_at      DOUBLE PRECISION,
  updated_at       DOUBLE PRECISION NOT NULL,
  last_seq         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_owner_newest ON jobs (owner, created_at DESC, id DESC);
CREATE INDEX jobs_newest ON jobs (created_at DESC, id DESC);
)sql";

constexpr Migration kMigrations[] = {
    {1, "create jobs", kCreateJobs},
};

}  // namespace

std::span<const Migration> job_store_migrations() {
  return kMigrations;
}

}  // namespace headway::store
