#pragma once

#include "server/router.hpp"
#include "server/services.hpp"

namespace headway::server {

// Adds the routes of issue 3 (progress streams, snapshot, health, metrics) to
// `router`. The job API, auth endpoints and static files are further rows.
void add_progress_routes(Router& router, Services& services);

}  // namespace headway::server
