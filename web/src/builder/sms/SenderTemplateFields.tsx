/**
 * Sender ID from the entity's registered headers, DLT template from the approved templates linked
 * to that header (its text shown), and the DLT entity ID filled from them.
 */

import { Field } from '../../components/ui.tsx';
import { useBuilderData } from '../context.ts';
import type { SmsConfig } from './SmsEditor.tsx';
import { TemplateText } from './TemplateText.tsx';

const key = (entityId: string, senderId: string) => `${entityId}/${senderId}`;

export function SenderTemplateFields({
  config,
  onChange,
}: {
  config: SmsConfig;
  onChange: (patch: Partial<SmsConfig>) => void;
}) {
  const { registry } = useBuilderData();
  const entityName = new Map(registry.entities.map((e) => [e.entityId, e.name]));
  const headers = registry.headers.filter((h) => h.status === 'active');
  const current = key(config.dltEntityId, config.senderId);
  const known = headers.some((h) => key(h.entityId, h.senderId) === current);
  const templates = registry.templates.filter(
    (t) =>
      t.status === 'approved' &&
      t.entityId === config.dltEntityId &&
      t.senderIds.includes(config.senderId),
  );
  const template = registry.templates.find((t) => t.templateId === config.dltTemplateId);

  function chooseSender(value: string) {
    const header = headers.find((h) => key(h.entityId, h.senderId) === value);
    if (!header) {
      onChange({ senderId: '', dltEntityId: '', dltTemplateId: '' });
      return;
    }
    const stillLinked = registry.templates.some(
      (t) =>
        t.templateId === config.dltTemplateId &&
        t.entityId === header.entityId &&
        t.senderIds.includes(header.senderId),
    );
    onChange({
      senderId: header.senderId,
      dltEntityId: header.entityId,
      smsType: header.smsType,
      ...(stillLinked ? {} : { dltTemplateId: '' }),
    });
  }

  return (
    <fieldset>
      <legend>Sender and DLT template</legend>
      <Field
        label="Sender ID"
        hint={headers.length === 0 ? 'Register a header on the DLT page first.' : undefined}
        error={
          config.senderId && !known
            ? `${config.senderId} is not an active header of ${config.dltEntityId || 'any entity'}.`
            : undefined
        }
      >
        {({ id, describedBy, invalid }) => (
          <select
            id={id}
            value={known ? current : ''}
            onChange={(e) => chooseSender(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
          >
            <option value="">Choose a header</option>
            {headers.map((h) => (
              <option key={key(h.entityId, h.senderId)} value={key(h.entityId, h.senderId)}>
                {h.senderId} · {entityName.get(h.entityId) ?? h.entityId} · {h.smsType}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="DLT template"
        hint={
          config.senderId && templates.length === 0
            ? `No approved template is linked to ${config.senderId}.`
            : undefined
        }
      >
        {({ id, describedBy }) => (
          <select
            id={id}
            value={
              templates.some((t) => t.templateId === config.dltTemplateId)
                ? config.dltTemplateId
                : ''
            }
            onChange={(e) => onChange({ dltTemplateId: e.target.value })}
            aria-describedby={describedBy}
            disabled={!config.senderId}
          >
            <option value="">Choose a template</option>
            {templates.map((t) => (
              <option key={t.templateId} value={t.templateId}>
                {t.name ? `${t.name} · ` : ''}
                {t.templateId}
              </option>
            ))}
          </select>
        )}
      </Field>
      {template ? <TemplateText content={template.content} category={template.category} /> : null}
      <div className="row" style={{ alignItems: 'flex-start' }}>
        <Field label="DLT template ID" hint="Filled from the template.">
          {({ id, describedBy }) => (
            <input
              id={id}
              type="text"
              className="mono"
              value={config.dltTemplateId}
              readOnly
              aria-describedby={describedBy}
            />
          )}
        </Field>
        <Field label="DLT entity ID" hint="Filled from the header.">
          {({ id, describedBy }) => (
            <input
              id={id}
              type="text"
              className="mono"
              value={config.dltEntityId}
              readOnly
              aria-describedby={describedBy}
            />
          )}
        </Field>
      </div>
    </fieldset>
  );
}
