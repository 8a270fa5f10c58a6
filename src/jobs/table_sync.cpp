#include "jobs/table_sync.hpp"

namespace headway::worker {

JobError store_error(std::string_view what, const store::Error& error) {
  using store::ErrorCode;
  JobError::Code code = JobError::Code::internal;
  switch (error.code) {
    case ErrorCode::invalid_argument:
      code = JobError::Code::invalid_input;
      break;
    case ErrorCode::not_found:
      code = JobError::Code::not_found;
      break;
    case ErrorCode::already_exists:
    case ErrorCode::conflict:
      code = JobError::Code::conflict;
      break;
    case ErrorCode::unavailable:
    case ErrorCode::busy:
      code = JobError::Code::unavailable;
      break;
    case ErrorCode::schema:
    case ErrorCode::internal:
      break;
  }
  return {code, {}, std::string(what) + ": " + error.message};
}

}  // namespace headway::worker
