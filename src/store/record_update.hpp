#pragma once

#include "core/progress_record.hpp"
#include "store/job_store.hpp"

namespace headway::store {

// The fields of a progress record that the job table keeps: what the server's
// recorder folds from progress:events, and what the worker folds itself for
// the records that start and end a run.
ProgressUpdate to_store_update(const ProgressRecord& record);

}  // namespace headway::store
