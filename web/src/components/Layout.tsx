import { useState, type ReactNode } from 'react';
import { api } from '@headway/react/lib/api';
import { navigate, routes } from '@headway/react/lib/router';
import { Link } from './Link';

export function Layout({ children, active }: { children: ReactNode; active?: 'jobs' | 'generate' }) {
  const [leaving, setLeaving] = useState(false);
  const logout = async () => {
    setLeaving(true);
    // Signed out or not (the session may be gone already), the next page is the login page.
    await api.logout().catch(() => undefined);
    navigate(routes.login(routes.jobs()), { replace: true });
  };
  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar__inner">
          <Link href={routes.jobs()} className="brand" aria-label="headway — jobs">
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <rect x="2" y="9" width="20" height="6" rx="3" fill="#d9dee7" />
              <rect x="2" y="9" width="13" height="6" rx="3" fill="#2f9e6e" />
            </svg>
            <span>headway</span>
          </Link>
          <nav className="topnav" aria-label="Main">
            <Link href={routes.jobs()} aria-current={active === 'jobs' ? 'page' : undefined}>
              Jobs
            </Link>
            <Link href={routes.generate()} aria-current={active === 'generate' ? 'page' : undefined}>
              Generate Timetable
            </Link>
            <button type="button" className="topnav__logout" onClick={() => void logout()} disabled={leaving}>
              Sign out
            </button>
          </nav>
        </div>
      </header>
      <main className="main">{children}</main>
    </div>
  );
}
