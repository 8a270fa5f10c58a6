#pragma once

#include "core/progress_record.hpp"
#include "store/job_store.hpp"

namespace headway::store {

// The fields of a progress record that the job table keeps: what the server's
// recorder folds from progress:events, and what the worker folds itself for
// the records that start and end a run.
ProgressUpdate to_store_update(const ProgressRecord& record);

// The other way: the record a row stands for, when Redis has none (seq =
// last_seq, metadata.error from the row's error, no stage plan).
ProgressRecord to_progress_record(const Job& job);

}  // namespace headway::store
