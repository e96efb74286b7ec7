/** The sign-in form: an account's API key and token open a session (an httpOnly cookie). */

import { type FormEvent, useState } from 'react';
import { ErrorAlert, TextField } from '../components/ui.tsx';
import { signIn } from '../lib/session.ts';

export function SignIn() {
  const [key, setKey] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim(), token.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="card stack" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">
          Sign in to <span style={{ color: 'var(--primary)' }}>callflow</span>
        </h1>
        <p className="muted small">Use one of your account's API keys and its token.</p>
        <TextField
          label="API key"
          name="key"
          value={key}
          onChange={setKey}
          required
          autoComplete="username"
        />
        <TextField
          label="API token"
          name="token"
          type="password"
          value={token}
          onChange={setToken}
          required
          autoComplete="current-password"
        />
        <ErrorAlert error={error} />
        <button className="btn primary" type="submit" disabled={busy || !key || !token}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
