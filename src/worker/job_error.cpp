#include "worker/job_error.hpp"

namespace headway::worker {

const char* to_string(JobError::Code code) {
  switch (code) {
    case JobError::Code::bad_request:
      return "bad_request";
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

}  // namespace headway::worker
