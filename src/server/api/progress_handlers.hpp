#pragma once

#include <optional>
#include <string>

#include "server/handler_services.hpp"
#include "server/http/router.hpp"

namespace headway::server {

// The handlers of the progress routes (docs/protocol.md); api/routes.cpp
// lists their rows.

// One job's progress stream: GET /api/generation/stream/{id}/ (SSE, with
// `websocket` false) or /api/generation/ws/{id}/ (WebSocket).
Handler job_stream_handler(Services& services, bool websocket);
// Several jobs on one connection: GET /api/generation/streams/ (SSE) and
// /api/generation/streams/ws/ (WebSocket).
Handler many_job_stream_handler(Services& services, bool websocket);
// One job's newest record: GET /api/generation/progress/{id}/.
Handler progress_handler(Services& services);
// GET /api/generation/health/: every connection a request may need.
Handler health_handler(Services& services);
// GET /metrics: the Prometheus text.
Handler metrics_handler(Services& services);
// GET /api/openapi.json: docs/openapi.json as compiled in.
Handler openapi_handler();

// The checks every job-naming handler makes first: credentials (401/503
// before anything else), a well-formed id (the route's first parameter,
// returned lower-cased in `job_id`; 400), then authorization for that job
// (404 when it is not the caller's). Returns the error response, or nullopt
// to go on.
awaitable<std::optional<Response>> check_job_request(const RequestContext& context,
                                                     std::string& job_id);

}  // namespace headway::server
