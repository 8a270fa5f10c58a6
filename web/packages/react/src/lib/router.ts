// A small client-side router: the handful of routes this UI has, matched by
// hand, on top of the History API.

export type Route =
  | { name: 'jobs' }
  | { name: 'generate' }
  | { name: 'status'; jobId: string }
  | { name: 'login'; next: string }
  | { name: 'notFound' };

export const routes = {
  jobs: () => '/admin/timetables/',
  generate: () => '/admin/timetables/generate/',
  status: (jobId: string) => `/admin/timetables/status/${encodeURIComponent(jobId)}`,
  login: (next?: string) => (next && next !== '/login' ? `/login?next=${encodeURIComponent(next)}` : '/login'),
} as const;

/** Only same-site paths are followed after login (no `//evil.example`). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : routes.jobs();
}

export function matchRoute(pathname: string, search = ''): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/admin/timetables') return { name: 'jobs' };
  if (path === '/admin/timetables/generate') return { name: 'generate' };
  if (path === '/login') return { name: 'login', next: safeNext(new URLSearchParams(search).get('next')) };
  const status = /^\/admin\/timetables\/status\/([^/]+)$/.exec(path);
  if (status?.[1]) {
    try {
      return { name: 'status', jobId: decodeURIComponent(status[1]) };
    } catch {
      return { name: 'notFound' };
    }
  }
  return { name: 'notFound' };
}

const NAVIGATE_EVENT = 'headway:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

export function subscribeToLocation(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATE_EVENT, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATE_EVENT, listener);
  };
}
