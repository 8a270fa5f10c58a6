#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace headway::worker {

// Why creating, cancelling or running a job did not happen, in terms the HTTP
// layer maps to a status code without looking at the message.
struct JobError {
  enum class Code {
    bad_request,  // unknown type, bad params, malformed id          -> 400
    not_found,    // no such job                                     -> 404
    conflict,     // the job already finished, or the id is taken    -> 409
    unavailable,  // Redis or the job table cannot be reached        -> 503
    internal,     // anything else                                   -> 500
  };
  Code code = Code::internal;
  // The offending request field for bad_request ("type", "params.clusters"); else empty.
  std::string field;
  std::string message;
};

const char* to_string(JobError::Code code);

// A value or a JobError; errors cross module lines as values, never as
// exceptions. Reading value() of a failed result is a programming error and
// throws std::logic_error. Not thread-safe (a plain value type).
template <typename T>
class [[nodiscard]] JobResult {
 public:
  JobResult(T value) : state_(std::move(value)) {}
  JobResult(JobError error) : state_(std::move(error)) {}

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
  const JobError& error() const { return std::get<1>(state_); }

 private:
  void check() const {
    if (!ok())
      throw std::logic_error("JobResult::value() called on an error: " + error().message);
  }
  std::variant<T, JobError> state_;
};

// Success without a value, or a JobError.
template <>
class [[nodiscard]] JobResult<void> {
 public:
  JobResult() = default;
  JobResult(JobError error) : error_(std::move(error)) {}
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only valid when !ok().
  const JobError& error() const { return *error_; }

 private:
  std::optional<JobError> error_;
};

inline JobError bad_request(std::string field, std::string message) {
  return {JobError::Code::bad_request, std::move(field), std::move(message)};
}

}  // namespace headway::worker
