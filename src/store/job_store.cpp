#include "store/job_store.hpp"

#include <cctype>
#include <chrono>
#include <exception>
#include <stdexcept>

#include "store/migrate.hpp"
#include "store/sql_job_store.hpp"
#include "store/store_url.hpp"

namespace headway::store {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::already_exists:
      return "already_exists";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::busy:
      return "busy";
    case ErrorCode::schema:
      return "schema";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw std::runtime_error(std::string("store result read as a value: ") + to_string(error.code) +
                           ": " + error.message);
}

namespace {

Result<std::unique_ptr<JobStore>> open_store(std::string_view url, const StoreOptions& options) {
  auto location = parse_store_url(url);
  if (!location) {
    return location.error();
  }
  std::shared_ptr<Clock> clock = options.clock ? options.clock : system_clock();

  auto connection =
      location->engine == StoreLocation::Engine::postgres
          ? open_postgres_connection(location->target, options.postgres_connect_timeout_s)
          : open_sqlite_connection(location->target, options.sqlite_busy_timeout_ms);
  if (!connection) {
    return Error{connection.error().code,
                 connection.error().message + " (" + redact_url(url) + ")"};
  }
  if (auto migrated = migrate(**connection, job_store_migrations(), clock->now()); !migrated) {
    return Error{migrated.error().code, migrated.error().message + " (" + redact_url(url) + ")"};
  }
  return std::unique_ptr<JobStore>(
      std::make_unique<SqlJobStore>(std::move(*connection), std::move(clock)));
}

}  // namespace

Result<std::unique_ptr<JobStore>> open_job_store(std::string_view url,
                                                 const StoreOptions& options) {
  try {
    return open_store(url, options);
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, std::string("opening the job store: ") + e.what()};
  }
}

}  // namespace headway::store
