#pragma once

#include "server/handler_services.hpp"
#include "server/http/router.hpp"

namespace headway::server {

// The handlers of the account routes (docs/auth.md); api/routes.cpp lists
// their rows.

// POST /api/auth/login/: a session cookie for a name and password.
Handler login_handler(Services& services);
// POST /api/auth/logout/: ends the caller's session.
Handler logout_handler(Services& services);
// GET /api/auth/me/: who the caller is.
Handler me_handler();
// POST /api/generation/stream-token/{id}/: a short-lived token for one job's stream.
Handler stream_token_handler(Services& services);

}  // namespace headway::server
