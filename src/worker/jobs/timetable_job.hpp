#pragma once

#include "worker/job_context.hpp"

namespace headway::worker {

// The reference workload (docs/worker.md, "Job types"), simulated: loading, clustering,
// cpsat_solving over `clusters` clusters (one update per cluster solved),
// ga_optimization and rl_refinement, taking about `duration_s` in total with
// per-step times drawn from a seeded lognormal distribution, so progress is
// uneven the way real solver runs are. Its parameters are
// timetable_schema()'s (jobs/job_catalog.hpp).
//
// Runs the job on the calling thread; stops within ~50 ms of a stop request.
JobOutcome run_timetable_job(JobContext& context);

}  // namespace headway::worker
