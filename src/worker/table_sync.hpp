#pragma once

#include <optional>
#include <string_view>

#include "core/progress_record.hpp"
#include "store/job_store.hpp"
#include "worker/job_error.hpp"

namespace headway::worker {

// The fields of a progress record the job table keeps (what the server's
// recorder folds from progress:events, and what the worker folds itself for
// the records that start and end a run).
store::ProgressUpdate to_store_update(const ProgressRecord& record);

// A store error as a JobError (`what` says which step failed).
JobError store_error(std::string_view what, const store::Error& error);

}  // namespace headway::worker
