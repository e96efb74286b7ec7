/**
 * The Builder's page: loads the flow (or starts a new one), the applet types, the DLT registry
 * and the account's rates, then hands them to the editor.
 */

import { ReactFlowProvider } from '@xyflow/react';
import { useRef } from 'react';
import { ErrorAlert, Loading } from '../components/ui.tsx';
import { accountApi } from '../lib/account-api.ts';
import { loadRegistry } from '../lib/dlt-api.ts';
import { flowsApi } from '../lib/flows-api.ts';
import { navigate } from '../lib/router.ts';
import { useAsync } from '../lib/use-async.ts';
import { loadAppletTypes } from './applets.ts';
import { BuilderEditor } from './BuilderEditor.tsx';
import { BuilderDataContext } from './context.ts';

export function FlowBuilderPage({ flowId }: { flowId: string }) {
  // A flow created by its first save changes the URL, not the editor: its state (and undo) stays.
  const createdHere = useRef<string | null>(null);
  const keepEditor = createdHere.current === flowId;
  const data = useAsync(async (signal) => {
    const [types, registry, account] = await Promise.all([
      loadAppletTypes(signal),
      loadRegistry(signal),
      accountApi.get(signal).catch(() => null),
    ]);
    return {
      types,
      registry,
      rates: account?.rates ?? null,
      splitGraphemes: account?.sms.splitGraphemes ?? false,
    };
  }, []);
  const record = useAsync(
    (signal) =>
      flowId === 'new' || keepEditor ? Promise.resolve(null) : flowsApi.get(flowId, signal),
    [flowId],
  );

  if (data.error || record.error) {
    return (
      <div className="page">
        <ErrorAlert error={data.error ?? record.error} />
      </div>
    );
  }
  if (!data.data || (record.loading && !keepEditor)) return <Loading label="Opening the flow…" />;
  return (
    <BuilderDataContext.Provider
      value={{
        registry: data.data.registry,
        rates: data.data.rates,
        splitGraphemes: data.data.splitGraphemes,
      }}
    >
      <ReactFlowProvider>
        <BuilderEditor
          key={keepEditor ? 'new' : flowId}
          record={keepEditor ? null : (record.data ?? null)}
          types={data.data.types}
          onCreated={(id) => {
            createdHere.current = id;
            navigate(`/flows/${encodeURIComponent(id)}`, { replace: true });
          }}
        />
      </ReactFlowProvider>
    </BuilderDataContext.Provider>
  );
}
