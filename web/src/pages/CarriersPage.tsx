/**
 * The operator's Carriers page (/operator/carriers): every carrier's bind state, window in use,
 * throughput limit and submit and throttle rates, and over the last hour its delivery rate and
 * median time to delivery; disable and enable buttons. It needs an admin key (callflow admin
 * create), not an account's: it has its own sign-in and does not use the account session.
 */

import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { Badge, ErrorAlert, Loading, PageHeader, TextField } from '../components/ui.tsx';
import { ApiError } from '../lib/api.ts';
import { type Carrier, carriersApi } from '../lib/carriers-api.ts';
import { formatPaise } from '../lib/format.ts';

const REFRESH_MS = 2000;

function stateTone(state: string) {
  if (state === 'bound') return 'success' as const;
  if (state === 'connecting') return 'warning' as const;
  return 'danger' as const;
}

const rate = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));

function duration(ms: number | null) {
  if (ms === null) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function AdminSignIn({ onDone }: { onDone: () => void }) {
  const [key, setKey] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await carriersApi.signIn(key.trim(), token.trim());
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="signin">
      <form className="card stack" onSubmit={submit} aria-labelledby="admin-signin-title">
        <h1 id="admin-signin-title">Carriers</h1>
        <p className="muted small">
          Sign in with an admin key (<code>callflow admin create</code>); account API keys cannot
          manage carriers.
        </p>
        <TextField label="Admin key" name="key" value={key} onChange={setKey} required />
        <TextField
          label="Admin token"
          name="token"
          type="password"
          value={token}
          onChange={setToken}
          required
        />
        <ErrorAlert error={error} />
        <button className="btn primary" type="submit" disabled={busy || !key || !token}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function CarrierRow({ carrier, onToggle }: { carrier: Carrier; onToggle: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const h = carrier.lastHour;
  return (
    <tr data-carrier={carrier.name}>
      <th scope="row">
        {carrier.name}
        {carrier.source === 'live' ? <span className="muted small"> (live)</span> : null}
      </th>
      <td data-field="state">
        <Badge tone={stateTone(carrier.state)}>{carrier.state}</Badge>
        {carrier.lastError && carrier.state !== 'bound' ? (
          <div className="muted small" data-field="last-error">
            {carrier.lastError}
          </div>
        ) : null}
      </td>
      <td data-field="window">
        {carrier.windowInUse} / {carrier.window}
      </td>
      <td data-field="limit">{carrier.segmentsPerSecond}/s</td>
      <td data-field="submits">{rate(carrier.submitsPerSecond)}/s</td>
      <td data-field="throttles">{rate(carrier.throttlesPerSecond)}/s</td>
      <td data-field="messages">{h.messages}</td>
      <td data-field="delivery-rate">
        {h.deliveryRate === null ? '–' : `${(h.deliveryRate * 100).toFixed(1)} %`}
      </td>
      <td data-field="median">{duration(h.deliveryMedianMs)}</td>
      <td data-field="charged">{formatPaise(h.chargedPaise)}</td>
      <td data-field="cost">{h.costPaise === null ? '–' : formatPaise(h.costPaise)}</td>
      <td>
        <button
          type="button"
          className={`btn ${carrier.enabled ? 'danger' : ''}`}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onToggle();
            } finally {
              setBusy(false);
            }
          }}
        >
          {carrier.enabled ? `Disable ${carrier.name}` : `Enable ${carrier.name}`}
        </button>
      </td>
    </tr>
  );
}

export function CarriersPage() {
  const [carriers, setCarriers] = useState<Carrier[] | null>(null);
  const [signedOut, setSignedOut] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const { items } = await carriersApi.list();
      setCarriers(items);
      setSignedOut(false);
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setSignedOut(true);
      else setError(err);
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  if (signedOut) return <AdminSignIn onDone={() => void load()} />;
  if (carriers === null) return error ? <ErrorAlert error={error} /> : <Loading />;
  return (
    <main className="page operator">
      <PageHeader title="Carriers">
        <button
          type="button"
          className="btn"
          onClick={async () => {
            await carriersApi.signOut();
            setSignedOut(true);
          }}
        >
          Sign out
        </button>
      </PageHeader>
      <ErrorAlert error={error} />
      <p className="muted small">
        Messages, delivery rate, median time to delivery, what the accounts were charged and what
        the carrier costs (its pricePaise) over the last hour; rates over the last few seconds. A
        disabled carrier takes no new messages and is unbound once its window has drained.
      </p>
      <table className="table" aria-label="Carriers">
        <thead>
          <tr>
            <th scope="col">Carrier</th>
            <th scope="col">State</th>
            <th scope="col">Window in use</th>
            <th scope="col">Limit</th>
            <th scope="col">Submits</th>
            <th scope="col">Throttles</th>
            <th scope="col">Messages (1 h)</th>
            <th scope="col">Delivery rate</th>
            <th scope="col">Median to delivery</th>
            <th scope="col">Charged</th>
            <th scope="col">Carrier cost</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {carriers.map((c) => (
            <CarrierRow
              key={c.name}
              carrier={c}
              onToggle={async () => {
                try {
                  await carriersApi.setEnabled(c.name, !c.enabled);
                } catch (err) {
                  setError(err);
                }
                await load();
              }}
            />
          ))}
        </tbody>
      </table>
    </main>
  );
}
