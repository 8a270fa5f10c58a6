#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "server/asio_types.hpp"
#include "server/handler_services.hpp"
#include "server/http/http_common.hpp"
#include "server/http/open_connections.hpp"
#include "server/streams/many_job_stream.hpp"

namespace headway::server {

// Takes the connection over to serve a job's progress as Server-Sent Events
// until the job ends, the client leaves, or the server drains (through
// `connection`, which the stream now owns). The request has been read;
// `last_event_id` is the seq the client already has (0 for none);
// `extra_headers` ("Name: value\r\n" lines, e.g. CORS) go into the response
// head. The stream runs as a coroutine of its own on the socket's executor,
// so the HTTP session that read the request (its parser, buffer and frames)
// ends now rather than lasting as long as the stream.
void start_sse(Services& services, ConnectionGuard& connection, tcp::socket socket,
               std::string job_id, std::int64_t last_event_id, std::string extra_headers);

// The same events as WebSocket text messages {"event":..,"id":..,"data":..},
// through the same fan-out. Completes the upgrade (`request`), then, like
// start_sse, runs the stream on its own and returns.
awaitable<void> start_websocket(Services& services, ConnectionGuard& connection,
                                beast::tcp_stream& stream, const Request& request,
                                const std::string& job_id, std::int64_t last_event_id);

// Several jobs' events on one SSE connection (docs/protocol.md, "Many jobs on
// one connection"): `connected` (or `not_found`, for a job that is not
// `visible`) for each job at once, then every job's progress and `done`,
// with the semantics of a single-job stream per job; the stream ends when
// every job has ended. Each job's `position` is where it resumes.
void start_many_sse(Services& services, ConnectionGuard& connection, tcp::socket socket,
                    std::vector<StreamedJob> jobs, std::string extra_headers);

// The same as WebSocket messages, as start_websocket is to start_sse.
awaitable<void> start_many_websocket(Services& services, ConnectionGuard& connection,
                                     beast::tcp_stream& stream, const Request& request,
                                     std::vector<StreamedJob> jobs);

// Completion of a stream coroutine: an escaped exception is logged, not rethrown.
void log_stream_failure(const std::exception_ptr& error);

}  // namespace headway::server
