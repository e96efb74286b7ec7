/**
 * Reports: volume and delivery rate over time, delivery by carrier, failures by reason, cost and
 * latency, for the filters of the SMS list (default: the last 7 days); CSV export of exactly that
 * filter.
 */

import { useMemo } from 'react';
import { REASONS } from '../../../src/errors.ts';
import { filterFromSearch, MessageFilters } from '../components/MessageFilters.tsx';
import { Empty, ErrorAlert, Loading, PageHeader } from '../components/ui.tsx';
import { VolumeChart } from '../components/VolumeChart.tsx';
import { formatDateTime, formatPaise } from '../lib/format.ts';
import { chartUnit, fillGroups, loadSummary } from '../lib/reports.ts';
import { useLocation } from '../lib/router.ts';
import { csvExportUrl } from '../lib/sms-api.ts';
import { useAsync } from '../lib/use-async.ts';

function meaning(code: string): string {
  return (REASONS as Record<string, { meaning: string } | undefined>)[code]?.meaning ?? '';
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

export function ReportsPage() {
  const { search } = useLocation();
  const key = search.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the query string is the filter's identity.
  const filter = useMemo(() => filterFromSearch(search), [key]);
  const unit = chartUnit(filter);
  const report = useAsync((signal) => loadSummary(filter, unit, signal), [filter, unit]);
  const byCarrier = useAsync((signal) => loadSummary(filter, 'carrier', signal), [filter]);
  const carriers = (byCarrier.data?.groups ?? []).filter((g) => g.key !== null);
  const r = report.data;
  const failures = r
    ? Object.entries(r.total.failedByReason)
        .map(([code, count]) => ({ code, count }))
        .sort((a, b) => b.count - a.count)
    : [];

  return (
    <div className="page">
      <PageHeader title="Reports">
        <a className="btn primary" href={csvExportUrl(filter)} download data-testid="export-csv">
          Export CSV
        </a>
      </PageHeader>
      <MessageFilters filter={filter} />
      <ErrorAlert error={report.error} />
      {report.loading && !r ? <Loading label="Counting messages…" /> : null}
      {r ? (
        <p className="small muted">
          {formatDateTime(r.since)} to {formatDateTime(r.until)} · days and hours in {r.timeZone}
        </p>
      ) : null}
      {r && r.total.messages === 0 ? (
        <Empty>No messages match these filters in this period.</Empty>
      ) : null}
      {r && r.total.messages > 0 ? (
        <>
          <section className="card">
            <div className="stats">
              <div className="stat">
                <span className="value" data-testid="report-total">
                  {r.total.messages.toLocaleString('en-IN')}
                </span>
                <span className="label">messages</span>
              </div>
              <div className="stat">
                <span className="value">
                  {r.total.deliveryRate === null
                    ? '—'
                    : `${(r.total.deliveryRate * 100).toFixed(1)}%`}
                </span>
                <span className="label">delivered (of those with an outcome)</span>
              </div>
              <div className="stat">
                <span className="value">{r.total.segments.toLocaleString('en-IN')}</span>
                <span className="label">segments</span>
              </div>
              <div className="stat">
                <span className="value" data-testid="report-cost">
                  {formatPaise(r.total.costPaise)}
                </span>
                <span className="label">cost</span>
              </div>
              <div className="stat">
                <span className="value">{seconds(r.total.latency.medianMs)}</span>
                <span className="label">
                  median time to delivery (p95 {seconds(r.total.latency.p95Ms)})
                </span>
              </div>
            </div>
          </section>
          <section className="card">
            <h2>Volume and delivery rate by {unit}</h2>
            <VolumeChart groups={fillGroups(r, unit)} unit={unit} />
          </section>
          {carriers.length > 0 ? (
            <section className="card">
              <h2>By carrier</h2>
              <table className="table" aria-label="By carrier">
                <thead>
                  <tr>
                    <th scope="col">Carrier</th>
                    <th scope="col" className="num">
                      Messages
                    </th>
                    <th scope="col" className="num">
                      Delivered
                    </th>
                    <th scope="col" className="num">
                      Median time to delivery
                    </th>
                    <th scope="col" className="num">
                      Cost
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {carriers.map((g) => (
                    <tr key={g.key} data-carrier={g.key}>
                      <td>{g.key}</td>
                      <td className="num">{g.messages.toLocaleString('en-IN')}</td>
                      <td className="num" data-field="delivery-rate">
                        {g.deliveryRate === null ? '—' : `${(g.deliveryRate * 100).toFixed(1)}%`}
                      </td>
                      <td className="num">{seconds(g.latency.medianMs)}</td>
                      <td className="num">{formatPaise(g.costPaise)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ) : null}
          <section className="card">
            <h2>Failures by reason</h2>
            {failures.length === 0 ? (
              <p className="muted">No failures.</p>
            ) : (
              <table className="table" aria-label="Failures by reason">
                <thead>
                  <tr>
                    <th scope="col">Reason</th>
                    <th scope="col">Meaning</th>
                    <th scope="col" className="num">
                      Messages
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {failures.map((f) => (
                    <tr key={f.code}>
                      <td>
                        <code>{f.code}</code>
                      </td>
                      <td className="small">{meaning(f.code)}</td>
                      <td className="num">{f.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}
