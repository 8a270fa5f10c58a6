#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace headway::store {

// What went wrong, in terms a caller can act on.
enum class ErrorCode {
  invalid_argument,  // malformed input: a bad UUID, URL, limit or progress value
  not_found,         // no job with that id
  already_exists,    // create_job with an id already in the table
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

// A value or an Error. The store's interface returns these instead of throwing,
// so a dead database is an ordinary outcome for the server and the worker.
// Reading value() of a failed Result is a programming error and throws
// std::logic_error. operator bool tests success, not the value: with a
// Result<bool>, write `if (r && *r)`. Not thread-safe (a plain value type).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return check(), std::get<0>(state_); }
  const T& value() const& { return check(), std::get<0>(state_); }
  T&& value() && { return check(), std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Only valid when !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  void check() const {
    if (!ok()) {
      throw std::logic_error("Result::value() called on an error: " + error().message);
    }
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only valid when !ok().
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace headway::store
