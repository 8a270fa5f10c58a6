#pragma once

#include "jobs/job_queue.hpp"
#include "server/handler_services.hpp"
#include "server/http/router.hpp"
#include "server/http/static_files.hpp"

namespace headway::server {

// Adds every row of the server's route table to `router`, in match order:
// the progress routes, the account routes, the job API, then the catch-all
// rows serving the web UI from `files`. `queue` and `files` must outlive
// the router.
void add_routes(Router& router, Services& services, worker::JobQueue& queue,
                const StaticFiles& files);

}  // namespace headway::server
