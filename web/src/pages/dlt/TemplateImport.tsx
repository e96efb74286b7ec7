/** Imports templates from a DLT portal's CSV export, all or nothing, with the per-row report. */

import { useState } from 'react';
import { CsvImportForm } from '../../components/CsvImportForm.tsx';
import { SelectField } from '../../components/ui.tsx';
import type { DltEntity } from '../../lib/dlt-api.ts';

export function TemplateImport({
  entities,
  onImported,
}: {
  entities: DltEntity[];
  onImported: () => void;
}) {
  const [entityId, setEntityId] = useState('');
  return (
    <section aria-labelledby="import-title">
      <h3 id="import-title">Import from CSV</h3>
      <CsvImportForm
        endpoint="/api/v1/dlt/templates/import"
        params={{ entityId: entityId || undefined }}
        onImported={onImported}
        hint="A DLT portal export: Template ID, Template Name, Template Type, Template Content, Header(s), Status and Entity ID columns, matched by name."
      >
        <SelectField
          label="Entity of rows without one"
          value={entityId}
          onChange={setEntityId}
          options={entities.map((e) => ({ value: e.entityId, label: `${e.name} (${e.entityId})` }))}
          placeholder="None: every row names its entity"
        />
      </CsvImportForm>
    </section>
  );
}
