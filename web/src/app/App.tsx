import { useEffect } from 'react';
import { useRoute } from '@headway/react/hooks/useRoute';
import { api, setUnauthorizedHandler } from '@headway/react/lib/api';
import { matchRoute, navigate, routes } from '@headway/react/lib/router';
import { GeneratePage } from '../pages/GeneratePage';
import { JobListPage } from '../pages/JobListPage';
import { LoginPage } from '../pages/LoginPage';
import { NotFoundPage } from '../pages/NotFoundPage';
import { StatusPage } from '../pages/StatusPage';

/** Any 401 sends the person to /login, and back here after signing in. */
function redirectToLogin(): void {
  const { pathname, search } = window.location;
  if (matchRoute(pathname).name === 'login') return;
  navigate(routes.login(pathname + search), { replace: true });
}

export function App() {
  useEffect(() => {
    setUnauthorizedHandler(redirectToLogin);
    // After a reload the session cookie survives but the CSRF token (kept in
    // memory) does not: ask the server for it. A 401 here means "sign in".
    if (matchRoute(window.location.pathname).name !== 'login') void api.me().catch(() => undefined);
    return () => setUnauthorizedHandler(null);
  }, []);

  const route = useRoute();
  switch (route.name) {
    case 'jobs':
      return <JobListPage />;
    case 'generate':
      return <GeneratePage />;
    case 'status':
      // Keyed so that moving to another job starts from a clean page.
      return <StatusPage key={route.jobId} jobId={route.jobId} />;
    case 'login':
      return <LoginPage next={route.next} />;
    case 'notFound':
      return <NotFoundPage />;
  }
}
