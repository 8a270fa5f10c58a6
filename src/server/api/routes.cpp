#include "server/api/routes.hpp"

#include "server/api/auth_handlers.hpp"
#include "server/api/job_handlers.hpp"
#include "server/api/progress_handlers.hpp"
#include "server/api/web_ui_handler.hpp"

namespace headway::server {

// The one route table. Each row is method, pattern, kind and handler; its
// metrics label is its pattern, except the web UI's catch-all rows, which
// are counted together as "static". docs/openapi.json describes every row.
void add_routes(Router& router, Services& services, worker::JobQueue& queue,
                const StaticFiles& files) {
  using V = http::verb;
  using K = RouteKind;
  // Progress (docs/protocol.md).
  router.add(V::get, "/api/generation/stream/{id}/", K::stream,
             job_stream_handler(services, false));
  router.add(V::get, "/api/generation/ws/{id}/", K::stream, job_stream_handler(services, true));
  router.add(V::get, "/api/generation/streams/", K::stream,
             many_job_stream_handler(services, false));
  router.add(V::get, "/api/generation/streams/ws/", K::stream,
             many_job_stream_handler(services, true));
  router.add(V::get, "/api/generation/progress/{id}/", K::plain, progress_handler(services));
  router.add(V::get, "/api/generation/health/", K::plain, health_handler(services));
  router.add(V::get, "/metrics", K::plain, metrics_handler(services));
  router.add(V::get, "/api/openapi.json", K::plain, openapi_handler());
  // Accounts (docs/auth.md).
  router.add(V::post, "/api/auth/login/", K::plain, login_handler(services));
  router.add(V::post, "/api/auth/logout/", K::plain, logout_handler(services));
  router.add(V::get, "/api/auth/me/", K::plain, me_handler());
  router.add(V::post, "/api/generation/stream-token/{id}/", K::plain,
             stream_token_handler(services));
  // Jobs (docs/server.md, "Endpoints").
  router.add(V::post, "/api/generation-jobs/generate/", K::plain,
             create_job_handler(services, queue));
  router.add(V::get, "/api/generation-jobs/", K::plain, list_jobs_handler(services));
  router.add(V::get, "/api/generation-jobs/{id}/", K::plain, get_job_handler(services));
  router.add(V::get, "/api/generation-jobs/{id}/stages/", K::plain, job_stages_handler(services));
  router.add(V::get, "/api/generation-jobs/{id}/comparison/", K::plain,
             job_comparison_handler(services));
  router.add(V::delete_, "/api/generation-jobs/{id}/cancel/", K::plain,
             cancel_job_handler(services, queue));
  // The web UI: every path no row above knows.
  router.add({V::get, "/{*path}", "static", K::plain, web_ui_handler(services, files)});
  router.add({V::head, "/{*path}", "static", K::plain, web_ui_handler(services, files)});
}

}  // namespace headway::server
