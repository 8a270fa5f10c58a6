#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <utility>

namespace headway::worker {

// Why creating, cancelling or running a job did not happen, as a kind the
// caller can act on without reading the message. Protocol-free: each caller
// maps the kinds to its own protocol (the server's HTTP statuses: docs/worker.md).
struct JobError {
  enum class Code {
    invalid_input,  // unknown type, bad params, malformed id
    not_found,      // no such job
    conflict,       // the job already finished, or the id is taken
    unavailable,    // Redis or the job table cannot be reached
    internal,       // anything else
  };
  Code code = Code::internal;
  // The offending input field for invalid_input ("type", "params.clusters"); else empty.
  std::string field;
  std::string message;
};

const char* to_string(JobError::Code code);

// A value or a JobError; errors cross module lines as values, never as
// exceptions. Reading value() of a failed result throws std::runtime_error
// with the message (a programming error); operator* does not check.
template <typename T>
using JobResult = boost::system::result<T, JobError>;

// Found by argument-dependent lookup when value() meets a JobError.
[[noreturn]] void throw_exception_from_error(const JobError& error,
                                             const boost::source_location& location);

inline JobError invalid_input(std::string field, std::string message) {
  return {JobError::Code::invalid_input, std::move(field), std::move(message)};
}

}  // namespace headway::worker
