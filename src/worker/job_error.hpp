#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <utility>

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
// exceptions. Reading value() of a failed result throws std::runtime_error
// with the message (a programming error); operator* does not check.
template <typename T>
using JobResult = boost::system::result<T, JobError>;

// Found by argument-dependent lookup when value() meets a JobError.
[[noreturn]] void throw_exception_from_error(const JobError& error,
                                             const boost::source_location& location);

inline JobError bad_request(std::string field, std::string message) {
  return {JobError::Code::bad_request, std::move(field), std::move(message)};
}

}  // namespace headway::worker
