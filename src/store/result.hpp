#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <utility>

namespace headway::store {

// What went wrong, in terms a caller can act on.
enum class ErrorCode {
  invalid_argument,  // malformed input: a bad UUID, URL, limit or progress value
  not_found,         // no job with that id
  already_exists,    // create_job with an id already in the table
  conflict,          // refused while other rows depend on it: removing a user who owns jobs
  unavailable,       // the database cannot be reached or the connection broke; retry later
  busy,              // SQLite stayed locked by another process past the busy timeout
  schema,            // a migration failed, or the database is newer than this build
  internal,          // any other database error
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

inline Error invalid_argument(std::string message) {
  return {ErrorCode::invalid_argument, std::move(message)};
}

// A value or an Error. The store's interface returns these instead of throwing,
// so a dead database is an ordinary outcome for the server and the worker.
// Reading value() of a failed Result throws std::runtime_error with the
// message (a programming error); operator* does not check. operator bool tests
// success, not the value: with a Result<bool>, write `if (r && *r)`.
template <typename T>
using Result = boost::system::result<T, Error>;

// Found by argument-dependent lookup when value() meets an Error.
[[noreturn]] void throw_exception_from_error(const Error& error,
                                             const boost::source_location& location);

}  // namespace headway::store
