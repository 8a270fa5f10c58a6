#pragma once

#include <optional>
#include <string>

namespace headway::server {

// Who made a request, once its credentials have been checked.
struct Caller {
  std::string name;  // the user name; jobs.owner holds it
  bool admin = false;
};

// How a request presented itself. Resolved once per request (identify() in
// auth/authenticator.hpp) before the handler runs; a plain value.
struct Identity {
  enum class Via { none, bearer, session, stream_token };
  Via via = Via::none;
  // Set when a bearer token or session cookie was valid. A stream token is
  // only checked against the job it names, in authorize().
  std::optional<Caller> caller;
  std::string csrf_token;          // the session's, when via == session
  std::string stream_token;        // `?token=` on a stream route, not yet verified
  std::string session_hash;        // SHA-256 of the session cookie, for logout
  bool auth_disabled = false;      // --insecure-no-auth
  bool store_unavailable = false;  // the credential could not be checked (database down)
};

}  // namespace headway::server
