/** Account: balance and rates, recent ledger entries, API keys (create, revoke), webhook secret. */

import { Empty, ErrorAlert, Loading, PageHeader } from '../components/ui.tsx';
import { accountApi } from '../lib/account-api.ts';
import { formatDateTime, formatPaise } from '../lib/format.ts';
import { useAsync } from '../lib/use-async.ts';
import { ApiKeysSection } from './ApiKeysSection.tsx';
import { RatesForm } from './RatesForm.tsx';
import { WebhookSecretSection } from './WebhookSecretSection.tsx';

export function AccountPage() {
  const account = useAsync((signal) => accountApi.get(signal), []);
  const ledger = useAsync((signal) => accountApi.ledger(20, signal), []);
  const a = account.data;
  return (
    <div className="page">
      <PageHeader title="Account" />
      <ErrorAlert error={account.error} />
      {account.loading && !a ? <Loading /> : null}
      {a ? (
        <div className="grid-2">
          <section className="card" aria-labelledby="balance-title">
            <h2 id="balance-title">Balance</h2>
            <div className="stats">
              <div className="stat">
                <span className="value" data-testid="balance">
                  {formatPaise(a.balancePaise)}
                </span>
                <span className="label">prepaid balance</span>
              </div>
            </div>
            <dl className="props" style={{ marginTop: 12 }}>
              <dt>Account</dt>
              <dd>
                {a.name} <span className="mono muted">{a.sid}</span>
              </dd>
              <dt>Time zone</dt>
              <dd>{a.timeZone}</dd>
              <dt>Since</dt>
              <dd>{formatDateTime(a.createdAt)}</dd>
            </dl>
            <p className="small muted">
              Top-ups are made by the operator (callflow accounts topup).
            </p>
          </section>
          <RatesForm account={a} onSaved={account.setData} />
        </div>
      ) : null}
      <section className="card" aria-labelledby="ledger-title">
        <h2 id="ledger-title">Recent ledger entries</h2>
        <ErrorAlert error={ledger.error} />
        {ledger.data && ledger.data.items.length === 0 ? (
          <Empty>No debits or top-ups yet.</Empty>
        ) : null}
        {ledger.data && ledger.data.items.length > 0 ? (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">Message</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance after
                </th>
              </tr>
            </thead>
            <tbody>
              {ledger.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.at)}</td>
                  <td>{e.kind}</td>
                  <td className="mono small">{e.messageSid ?? e.note ?? '—'}</td>
                  <td className="num">{formatPaise(e.amountPaise)}</td>
                  <td className="num">{formatPaise(e.balanceAfterPaise)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <ApiKeysSection />
      <WebhookSecretSection />
    </div>
  );
}
