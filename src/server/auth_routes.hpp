#pragma once

#include "server/router.hpp"
#include "server/services.hpp"

namespace headway::server {

// Adds the account routes (docs/auth.md): POST /api/auth/login/,
// POST /api/auth/logout/, GET /api/auth/me/ and
// POST /api/generation/stream-token/{id}/.
void add_auth_routes(Router& router, Services& services);

}  // namespace headway::server
