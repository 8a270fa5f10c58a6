#pragma once

#include <string>
#include <string_view>

#include "server/asio_types.hpp"
#include "server/http_common.hpp"

namespace headway::server {

// The outcome of an authorization check: allowed, or the error to answer with.
struct AuthDecision {
  bool allowed = true;
  http::status status = http::status::ok;
  std::string error;
  std::string detail;
};

// The one place that decides whether a request may see a job. Every handler
// that names a job calls it before doing anything else, so the transports
// (SSE, WebSocket, JSON) know nothing about credentials. Issue 6 makes it
// check the caller's credentials against the job's owner (401 without
// credentials, 404 for a job the caller may not see); until then every
// request is allowed.
awaitable<AuthDecision> authorize(const Request& request, std::string_view job_id);

}  // namespace headway::server
