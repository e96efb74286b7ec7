/** Registers a template; the content is linted as it is typed, with the server's own lint. */

import { type FormEvent, useMemo, useState } from 'react';
import { lintTemplate } from '../../../../src/dlt/index.ts';
import { ErrorAlert, Field, SelectField, TextField } from '../../components/ui.tsx';
import { type DltEntity, type DltTemplate, dltApi } from '../../lib/dlt-api.ts';
import { toast } from '../../lib/toast.ts';

const CATEGORIES: DltTemplate['category'][] = [
  'transactional',
  'service-implicit',
  'service-explicit',
  'promotional',
];

export function TemplateForm({
  entities,
  onSaved,
}: {
  entities: DltEntity[];
  onSaved: () => void;
}) {
  const [templateId, setTemplateId] = useState('');
  const [entityId, setEntityId] = useState(entities[0]?.entityId ?? '');
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  const [category, setCategory] = useState<DltTemplate['category']>('transactional');
  const [senderIds, setSenderIds] = useState('');
  const [error, setError] = useState<unknown>(null);
  const findings = useMemo(() => (content ? lintTemplate(content) : []), [content]);

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await dltApi.saveTemplate({
        templateId: templateId.trim(),
        entityId: entityId || (entities[0]?.entityId ?? ''),
        name: name.trim(),
        content,
        category,
        senderIds: senderIds
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      });
      toast(`Template ${templateId} saved.`);
      setTemplateId('');
      setName('');
      setContent('');
      onSaved();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form className="stack" onSubmit={save} aria-labelledby="template-form-title">
      <h3 id="template-form-title">Register a template</h3>
      <TextField
        label="Template ID"
        value={templateId}
        onChange={setTemplateId}
        hint="12 to 19 digits"
        required
      />
      <SelectField
        label="Entity"
        value={entityId}
        onChange={setEntityId}
        options={entities.map((e) => ({ value: e.entityId, label: `${e.name} (${e.entityId})` }))}
      />
      <TextField label="Name" value={name} onChange={setName} />
      <Field
        label="Content"
        hint="Variables: {#var#}, {#numeric#}, {#alphanumeric#}, {#url#}, {#urlott#}, {#cbn#}, {#email#}"
      >
        {({ id, describedBy }) => (
          <textarea
            id={id}
            rows={3}
            value={content}
            onChange={(e) => setContent(e.target.value)}
            aria-describedby={describedBy}
            required
          />
        )}
      </Field>
      {findings.length > 0 ? (
        <ul className="findings" aria-label="Lint findings">
          {findings.map((f, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: findings can repeat.
            <li key={i}>
              <span className={`badge ${f.severity === 'error' ? 'danger' : 'warning'}`}>
                {f.code}
              </span>{' '}
              <span className="small">{f.message}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <SelectField
        label="Category"
        value={category}
        onChange={(v) => setCategory(v as DltTemplate['category'])}
        options={CATEGORIES}
      />
      <TextField
        label="Linked headers"
        value={senderIds}
        onChange={setSenderIds}
        hint="Sender IDs, separated by commas"
      />
      <ErrorAlert error={error} />
      <div>
        <button
          type="submit"
          className="btn primary"
          disabled={!templateId || !content || entities.length === 0}
        >
          Save template
        </button>
      </div>
    </form>
  );
}
