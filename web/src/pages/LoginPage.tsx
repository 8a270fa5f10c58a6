import { useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '@headway/react/lib/api';
import { navigate } from '@headway/react/lib/router';

export function LoginPage({ next }: { next: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(username, password);
      navigate(next, { replace: true });
    } catch (e) {
      setBusy(false);
      setError(e instanceof ApiError && (e.status === 401 || e.status === 400) ? 'Wrong username or password.' : describeError(e));
    }
  };

  return (
    <div className="login">
      <form className="card form login__card" onSubmit={submit}>
        <div className="login__brand">
          <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
            <rect x="2" y="9" width="20" height="6" rx="3" fill="#d9dee7" />
            <rect x="2" y="9" width="13" height="6" rx="3" fill="#2f9e6e" />
          </svg>
          <h1>Sign in to headway</h1>
        </div>
        <div className="field">
          <label htmlFor="username">Username</label>
          <input id="username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        {error ? (
          <p className="notice notice--error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button button--primary button--block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
