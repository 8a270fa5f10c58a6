#include "jobs/job_error.hpp"

#include <stdexcept>

namespace headway::worker {

const char* to_string(JobError::Code code) {
  switch (code) {
    case JobError::Code::invalid_input:
      return "invalid_input";
    case JobError::Code::not_found:
      return "not_found";
    case JobError::Code::conflict:
      return "conflict";
    case JobError::Code::unavailable:
      return "unavailable";
    case JobError::Code::internal:
      return "internal";
  }
  return "internal";
}

void throw_exception_from_error(const JobError& error, const boost::source_location&) {
  throw std::runtime_error(std::string("job result read as a value: ") + to_string(error.code) +
                           ": " + error.message);
}

}  // namespace headway::worker
