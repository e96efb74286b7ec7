/** Calls: newest first, a page at a time, each linking to its log. */

import { useEffect, useState } from 'react';
import { Link } from '../components/Shell.tsx';
import { Empty, ErrorAlert, PageFoot, PageHeader, StatusBadge } from '../components/ui.tsx';
import { type CallSummary, callsApi } from '../lib/flows-api.ts';
import { formatDateTime, formatDuration } from '../lib/format.ts';

const PAGE = 50;

export function CallsPage() {
  const [items, setItems] = useState<CallSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  async function load(from: string | null) {
    setLoading(true);
    try {
      const page = await callsApi.list({ limit: PAGE, cursor: from ?? undefined });
      setItems((old) => (from === null ? page.items : [...old, ...page.items]));
      setCursor(page.nextCursor ?? null);
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page, once.
  useEffect(() => {
    void load(null);
  }, []);

  return (
    <div className="page">
      <PageHeader title="Calls">
        <button type="button" className="btn" onClick={() => void load(null)}>
          Refresh
        </button>
      </PageHeader>
      <ErrorAlert error={error} />
      {!loading && items.length === 0 && !error ? (
        <Empty>No calls yet. Place a test call from the Builder.</Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table" aria-label="Calls">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Origin</th>
                <th scope="col">From</th>
                <th scope="col">ExoPhone</th>
                <th scope="col">Flow</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Ended by</th>
              </tr>
            </thead>
            <tbody>
              {items.map((call) => (
                <tr key={call.sid}>
                  <td>
                    <Link to={`/calls/${call.sid}`}>{formatDateTime(call.startedAt)}</Link>
                  </td>
                  <td>
                    {call.origin?.kind === 'sip'
                      ? `SIP ${call.origin.via} ${call.origin.name}`
                      : call.origin?.kind === 'browser'
                        ? 'browser test call'
                        : 'test call'}
                  </td>
                  <td className="mono">{call.from || 'withheld'}</td>
                  <td className="mono">{call.to}</td>
                  <td>
                    <Link to={`/flows/${encodeURIComponent(call.flowId)}`}>{call.flowId}</Link>{' '}
                    <span className="muted">v{call.flowVersion}</span>
                  </td>
                  <td>
                    <StatusBadge status={call.status} />
                  </td>
                  <td>{call.endedAt ? formatDuration(call.startedAt, call.endedAt) : '—'}</td>
                  <td>{call.endReason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <PageFoot loading={loading} cursor={cursor} onMore={(next) => void load(next)} />
    </div>
  );
}
