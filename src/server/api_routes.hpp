#pragma once

#include "server/router.hpp"
#include "server/services.hpp"

namespace headway::server {

// Adds the progress routes (progress streams, snapshot, health, metrics) to
// `router`. The job API, auth endpoints and static files are further rows.
void add_progress_routes(Router& router, Services& services);

// The checks every job-naming handler makes first: credentials (401/503
// before anything else), a well-formed id (the route's first parameter,
// returned lower-cased in `job_id`; 400), then authorization for that job
// (404 when it is not the caller's). Returns the error response, or nullopt
// to go on.
awaitable<std::optional<Response>> check_job_request(const RequestContext& context,
                                                     std::string& job_id);

}  // namespace headway::server
