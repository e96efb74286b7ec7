/** DLT: the account's entities, each with its headers and whitelist, and its templates with lint findings. */

import { useState } from 'react';
import { ErrorAlert, Loading, PageHeader } from '../../components/ui.tsx';
import { dltApi } from '../../lib/dlt-api.ts';
import { useAsync } from '../../lib/use-async.ts';
import { EntitiesSection } from './EntitiesSection.tsx';
import { HeadersSection } from './HeadersSection.tsx';
import { TemplatesSection } from './TemplatesSection.tsx';
import { WhitelistSection } from './WhitelistSection.tsx';

export function DltPage() {
  const entities = useAsync((signal) => dltApi.entities(signal), []);
  const [chosen, setChosen] = useState<string | null>(null);
  const list = entities.data?.items ?? [];
  const entityId = chosen ?? list[0]?.entityId ?? null;

  return (
    <div className="page">
      <PageHeader title="DLT registry" />
      <ErrorAlert error={entities.error} />
      {entities.loading && !entities.data ? <Loading /> : null}
      {entities.data ? (
        <>
          <EntitiesSection
            entities={list}
            selected={entityId}
            onSelect={setChosen}
            onChanged={entities.reload}
          />
          {entityId ? (
            <div className="grid-2" style={{ marginTop: 16 }}>
              <HeadersSection entityId={entityId} />
              <WhitelistSection entityId={entityId} />
            </div>
          ) : null}
          <TemplatesSection entities={list} />
        </>
      ) : null}
    </div>
  );
}
