#pragma once

#include <string>

#include "jobs/job_queue.hpp"
#include "server/handler_services.hpp"
#include "server/http/router.hpp"
#include "store/job_store.hpp"

namespace headway::server {

// The handlers of the job API (docs/server.md, "Endpoints"); api/routes.cpp
// lists their rows. Every call into `queue` or the store runs on the
// services' thread pool, never on an I/O thread. `queue` must outlive the
// router.

// POST /api/generation-jobs/generate/: {"type","params"} -> 201 job.
Handler create_job_handler(Services& services, worker::JobQueue& queue);
// GET /api/generation-jobs/?status=&limit=&offset= -> {"results","count"}.
Handler list_jobs_handler(Services& services);
// GET /api/generation-jobs/{id}/ -> job.
Handler get_job_handler(Services& services);
// GET /api/generation-jobs/{id}/stages/: the job's stage timings.
Handler job_stages_handler(Services& services);
// GET /api/generation-jobs/{id}/comparison/: its stages against earlier runs.
Handler job_comparison_handler(Services& services);
// DELETE /api/generation-jobs/{id}/cancel/ -> {"status": cancelled | cancel_requested | ...}.
Handler cancel_job_handler(Services& services, worker::JobQueue& queue);

// One row of the job table as the API shows it: the fields of docs/store.md ("Schema"),
// with `params` as a JSON object and times as Unix seconds (null when unset).
std::string job_json(const store::Job& job);

}  // namespace headway::server
