/** SMS: the message list with the API's filters, newest first, a page at a time. */

import { useEffect, useMemo, useState } from 'react';
import { filterFromSearch, MessageFilters } from '../components/MessageFilters.tsx';
import { Link } from '../components/Shell.tsx';
import { Empty, ErrorAlert, PageFoot, PageHeader, StatusBadge } from '../components/ui.tsx';
import { formatDateTime, formatPaise } from '../lib/format.ts';
import { useLocation } from '../lib/router.ts';
import { csvExportUrl, type Message, smsApi } from '../lib/sms-api.ts';

const PAGE = 50;

export function SmsPage() {
  const { search } = useLocation();
  const key = search.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the query string is the filter's identity.
  const filter = useMemo(() => filterFromSearch(search), [key]);
  const [items, setItems] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  async function load(from: string | null, signal?: AbortSignal) {
    setLoading(true);
    try {
      const page = await smsApi.list(filter, from, PAGE, signal);
      setItems((old) => (from === null ? page.items : [...old, ...page.items]));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (!signal?.aborted) setError(err);
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the filter changes.
  useEffect(() => {
    const controller = new AbortController();
    void load(null, controller.signal);
    return () => controller.abort();
  }, [filter]);

  return (
    <div className="page">
      <PageHeader title="SMS">
        <a className="btn" href={csvExportUrl(filter)} download>
          Export CSV
        </a>
      </PageHeader>
      <MessageFilters filter={filter} />
      <ErrorAlert error={error} />
      {!loading && items.length === 0 && !error ? (
        <Empty>No messages match these filters.</Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table" aria-label="Messages">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">To</th>
                <th scope="col">Sender</th>
                <th scope="col">Body</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Parts
                </th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col">Origin</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.sid}>
                  <td className="nowrap">
                    <Link to={`/sms/${m.sid}`}>{formatDateTime(m.createdAt)}</Link>
                  </td>
                  <td className="mono">{m.to}</td>
                  <td className="mono">{m.from}</td>
                  <td className="body-cell" title={m.body}>
                    {m.body}
                  </td>
                  <td>
                    <StatusBadge status={m.status} />
                    {m.reasonCode ? <div className="small muted">{m.reasonCode}</div> : null}
                  </td>
                  <td className="num">{m.segments}</td>
                  <td className="num">{formatPaise(m.pricePaise)}</td>
                  <td>
                    {m.origin.kind === 'flow' && m.origin.callSid ? (
                      <Link to={`/calls/${m.origin.callSid}`}>call</Link>
                    ) : (
                      m.origin.kind
                    )}
                  </td>
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
