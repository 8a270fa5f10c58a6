#pragma once

#include "server/asio_types.hpp"
#include "server/handler_services.hpp"

namespace headway::server {

// Brings the metrics that are read rather than counted up to date before a
// scrape renders them: Redis and the job table up or down, the job queue's
// depth and the age of its oldest waiting job, the process_* metrics, open
// connections. Costs a `SELECT 1` on the job-table pool and four pipelined
// Redis commands; never fails (a part that cannot answer shows as down).
awaitable<void> refresh_scrape_metrics(Services& services);

}  // namespace headway::server
