/** Templates with their lint findings, filtered by entity, and the form to register one. */

import { useState } from 'react';
import { ErrorAlert, SelectField, StatusBadge } from '../../components/ui.tsx';
import { type DltEntity, type DltTemplate, dltApi } from '../../lib/dlt-api.ts';
import { useAsync } from '../../lib/use-async.ts';
import { TemplateForm } from './TemplateForm.tsx';
import { TemplateImport } from './TemplateImport.tsx';

function Findings({ template }: { template: DltTemplate }) {
  if (template.lint.length === 0) return <span className="badge success">no findings</span>;
  return (
    <ul className="findings">
      {template.lint.map((f, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: findings can repeat.
        <li key={i}>
          <span className={`badge ${f.severity === 'error' ? 'danger' : 'warning'}`}>{f.code}</span>{' '}
          <span className="small">{f.message}</span>
        </li>
      ))}
    </ul>
  );
}

export function TemplatesSection({ entities }: { entities: DltEntity[] }) {
  const [entityId, setEntityId] = useState('');
  const templates = useAsync(
    (signal) => dltApi.templates(entityId ? { entityId } : {}, signal),
    [entityId],
  );

  return (
    <section className="card" aria-labelledby="templates-title" style={{ marginTop: 16 }}>
      <div className="row between">
        <h2 id="templates-title">Templates</h2>
        <div style={{ width: 260 }}>
          <SelectField
            label="Entity"
            value={entityId}
            onChange={setEntityId}
            options={entities.map((e) => ({
              value: e.entityId,
              label: `${e.name} (${e.entityId})`,
            }))}
            placeholder="All entities"
          />
        </div>
      </div>
      <ErrorAlert error={templates.error} />
      {templates.data && templates.data.items.length === 0 ? (
        <p className="muted">No templates.</p>
      ) : null}
      {templates.data && templates.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table" aria-label="Templates">
            <thead>
              <tr>
                <th scope="col">Template</th>
                <th scope="col">Content</th>
                <th scope="col">Category</th>
                <th scope="col">Status</th>
                <th scope="col">Headers</th>
                <th scope="col">Lint</th>
              </tr>
            </thead>
            <tbody>
              {templates.data.items.map((t) => (
                <tr key={t.templateId}>
                  <td>
                    <div className="mono">{t.templateId}</div>
                    <div className="small muted">{t.name}</div>
                  </td>
                  <td className="template-content">{t.content}</td>
                  <td>{t.category}</td>
                  <td>
                    <StatusBadge status={t.status} />
                  </td>
                  <td className="mono small">{t.senderIds.join(', ') || '—'}</td>
                  <td>
                    <Findings template={t} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="grid-2" style={{ marginTop: 16 }}>
        <TemplateForm entities={entities} onSaved={templates.reload} />
        <TemplateImport entities={entities} onImported={templates.reload} />
      </div>
    </section>
  );
}
