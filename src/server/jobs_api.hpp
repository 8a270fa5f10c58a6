#pragma once

#include <string>

#include "server/router.hpp"
#include "server/services.hpp"
#include "store/job_store.hpp"
#include "worker/job_queue.hpp"

namespace headway::server {

// Adds the job API (docs/server.md, "Endpoints") to `router`:
//   POST   /api/generation-jobs/generate/     {"type","params"} -> 201 job
//   GET    /api/generation-jobs/              ?status=&limit=&offset= -> {"results","count"}
//   GET    /api/generation-jobs/{id}/         -> job
//   DELETE /api/generation-jobs/{id}/cancel/  -> {"status": cancelled | cancel_requested | ...}
// Every call into `queue` or the store runs on the services' thread pool,
// never on an I/O thread. `queue` must outlive the router.
void add_job_routes(Router& router, Services& services, worker::JobQueue& queue);

// One row of the job table as the API shows it: the fields of docs/store.md ("Schema"),
// with `params` as a JSON object and times as Unix seconds (null when unset).
std::string job_json(const store::Job& job);

}  // namespace headway::server
