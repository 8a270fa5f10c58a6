#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/asio_types.hpp"
#include "server/http/http_common.hpp"
#include "server/http/open_connections.hpp"
#include "server/http/request_identity.hpp"

namespace headway::server {

class Authenticator;

// What a handler gets: the request, the path segments its pattern captured,
// and the connection, which stream handlers take over.
struct RequestContext {
  Request& request;
  std::vector<std::string_view> params;
  beast::tcp_stream& stream;
  beast::flat_buffer& buffer;
  ConnectionGuard* connection;  // the session's registration; a stream handler moves it out
  // Who is calling, resolved before the handler runs (see auth/authenticator.hpp).
  Identity identity{};
  Authenticator* authenticator = nullptr;
};

// A handler answers with a response, or with nullopt when it took the
// connection over (an SSE or WebSocket stream) and answered on it itself.
using Handler = std::function<awaitable<std::optional<Response>>(RequestContext&)>;

// How a route is counted and logged.
enum class RouteKind { plain, stream };

// One row of the route table: method + path pattern -> handler. A pattern is
// a literal path in which a segment `{name}` matches any one non-empty
// segment and is passed to the handler in order. A last segment `{*name}`
// matches the rest of the path (any number of segments, possibly none); such
// catch-all rows (the static files) answer only paths no other row knows,
// wherever they stand in the table, and never turn a 404 into a 405.
struct Route {
  http::verb method;
  std::string pattern;
  std::string name;  // the metrics label
  RouteKind kind = RouteKind::plain;
  Handler handler;
};

// The one explicit route table. Built once before serving; read-only after,
// so any thread may match against it.
class Router {
 public:
  void add(Route route);
  // A row whose metrics label is its pattern.
  void add(http::verb method, std::string pattern, RouteKind kind, Handler handler);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method and path
    bool path_known = false;       // some route has this path with another method
    std::string allow;             // the methods that path has, for 405
    std::vector<std::string_view> params;
  };
  Match match(http::verb method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{}" for a parameter
    bool catch_all = false;             // ended in `{*name}`: matches the rest
  };
  static bool match_segments(const Compiled& compiled, std::string_view path,
                             std::vector<std::string_view>& params);
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace headway::server
