#pragma once

#include <cstdint>
#include <string>

#include "server/asio_types.hpp"
#include "server/connections.hpp"
#include "server/http_common.hpp"
#include "server/services.hpp"

namespace headway::server {

// Serves a job's progress as Server-Sent Events on `stream` (whose request has
// been read) until the job ends, the client leaves, or the server drains.
// `last_event_id` is the seq the client already has (0 for none). Draining
// the server (through `connection`) ends the stream cleanly. `extra_headers`
// ("Name: value\r\n" lines, e.g. CORS) go into the response head.
awaitable<void> serve_sse(Services& services, ConnectionGuard& connection,
                          beast::tcp_stream& stream, std::string job_id, std::int64_t last_event_id,
                          std::string extra_headers);

// The same events as WebSocket text messages {"event":..,"id":..,"data":..},
// through the same fan-out. `request` is the upgrade request.
awaitable<void> serve_websocket(Services& services, ConnectionGuard& connection,
                                beast::tcp_stream& stream, const Request& request,
                                std::string job_id, std::int64_t last_event_id);

}  // namespace headway::server
