#pragma once

#include "server/handler_services.hpp"
#include "server/http/router.hpp"
#include "server/http/static_files.hpp"

namespace headway::server {

// The handler of the catch-all GET and HEAD rows serving the web UI from
// `files`: every path no other row knows, except under /api/ and /metrics
// (a JSON 404 there). `files` must outlive the router.
Handler web_ui_handler(Services& services, const StaticFiles& files);

}  // namespace headway::server
