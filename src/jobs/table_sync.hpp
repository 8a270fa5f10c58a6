#pragma once

#include <optional>
#include <string_view>

#include "core/progress_record.hpp"
#include "jobs/job_error.hpp"
#include "store/job_store.hpp"
#include "store/record_update.hpp"

namespace headway::worker {

using store::to_store_update;

// A store error as a JobError (`what` says which step failed).
JobError store_error(std::string_view what, const store::Error& error);

}  // namespace headway::worker
