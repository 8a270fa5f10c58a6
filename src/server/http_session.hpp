#pragma once

#include "server/asio_types.hpp"
#include "server/handler_services.hpp"
#include "server/http/router.hpp"

namespace headway::server {

// Serves one accepted connection: reads requests (with header, body and idle
// limits), answers each through the route table, and hands the connection to
// a stream handler when one takes it over. Runs on the connection's strand.
awaitable<void> run_http_session(Services& services, const Router& router, tcp::socket socket);

}  // namespace headway::server
