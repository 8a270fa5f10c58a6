#include "store/migrations/migrations.hpp"

namespace headway::store {

// One logical schema for both engines. The column types are spelled so that
// both accept them: SQLite maps DOUBLE PRECISION to REAL affinity and BIGINT
// to INTEGER affinity. JSON stays TEXT on both (validated by the store), so
// params round-trip byte for byte.
//
// SQLite connections run with foreign_keys=ON, so ON DELETE CASCADE holds on
// both engines.
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

// Users are keyed by name, which jobs.owner holds. Secrets are stored hashed:
// passwords with scrypt, tokens and session ids with SHA-256.
constexpr const char* kCreateAuth = R"sql(
CREATE TABLE users (
  name          TEXT NOT NULL PRIMARY KEY,
  role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  password_hash TEXT NOT NULL,
  created_at    DOUBLE PRECISION NOT NULL
);
CREATE TABLE api_tokens (
  id         TEXT NOT NULL PRIMARY KEY,
  user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at DOUBLE PRECISION NOT NULL,
  expires_at DOUBLE PRECISION,
  revoked_at DOUBLE PRECISION
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_name, created_at);
CREATE TABLE sessions (
  id_hash    TEXT NOT NULL PRIMARY KEY,
  user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  expires_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE settings (
  name  TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// The liveness sweep lists the jobs that are not finished, every few seconds;
// a partial index keeps that cheap on a table full of finished jobs.
constexpr const char* kIndexUnfinishedJobs = R"sql(
CREATE INDEX jobs_unfinished ON jobs (id) WHERE status IN ('queued', 'initializing', 'running');
)sql";

// When each stage of each attempt started and ended, folded from the stage
// boundaries the recorder applies (JobStore::stage_timings).
constexpr const char* kCreateJobStages = R"sql(
CREATE TABLE job_stages (
  job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt     BIGINT NOT NULL,
  stage       TEXT NOT NULL,
  started_at  DOUBLE PRECISION NOT NULL,
  finished_at DOUBLE PRECISION,
  PRIMARY KEY (job_id, attempt, stage)
);
)sql";

// The worker reads the last completed runs of a job type for a new run's ETA
// prior (JobStore::recent_completed_runs), on every run it starts.
constexpr const char* kIndexCompletedByType = R"sql(
CREATE INDEX jobs_completed_by_type ON jobs (type, finished_at) WHERE status = 'completed';
)sql";

constexpr Migration kMigrations[] = {
    {1, "create jobs", kCreateJobs},
    {2, "create users, api_tokens, sessions, settings", kCreateAuth},
    {3, "index unfinished jobs", kIndexUnfinishedJobs},
    {4, "create job_stages", kCreateJobStages},
    {5, "index completed jobs by type", kIndexCompletedByType},
};

}  // namespace

std::span<const Migration> job_store_migrations() {
  return kMigrations;
}

}  // namespace headway::store
