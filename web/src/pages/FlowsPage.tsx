/** The flows of the account: name, newest version, the live version, and a way into the Builder. */

import { Link } from '../components/Shell.tsx';
import { Empty, ErrorAlert, Loading, PageHeader, StatusBadge } from '../components/ui.tsx';
import { flowsApi } from '../lib/flows-api.ts';
import { formatDateTime } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { useAsync } from '../lib/use-async.ts';

export function FlowsPage() {
  const flows = useAsync((signal) => flowsApi.list(signal), []);
  return (
    <div className="page">
      <PageHeader title="Flows">
        <button type="button" className="btn primary" onClick={() => navigate('/flows/new')}>
          New flow
        </button>
      </PageHeader>
      <ErrorAlert error={flows.error} />
      {flows.loading && !flows.data ? <Loading /> : null}
      {flows.data && flows.data.items.length === 0 ? (
        <Empty>No flows yet. Create one and drag applets onto the canvas.</Empty>
      ) : null}
      {flows.data && flows.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Live</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {flows.data.items.map((flow) => (
                <tr key={flow.id}>
                  <td>
                    <Link to={`/flows/${encodeURIComponent(flow.id)}`}>{flow.name || flow.id}</Link>
                  </td>
                  <td>v{flow.latestVersion}</td>
                  <td>
                    {flow.liveVersion === null ? (
                      <StatusBadge status="draft" />
                    ) : (
                      <span>
                        <StatusBadge status="published" /> v{flow.liveVersion}
                      </span>
                    )}
                  </td>
                  <td>{formatDateTime(flow.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
