/**
 * The SMS applet's Properties panel: recipient, Sender ID and DLT template from the entity's
 * registry, and the body editor with its live counter, GSM-7 suggestions and DLT check. It edits
 * the same config the engine runs (src/flows/applets/sms.ts).
 */

import { useMemo } from 'react';
import type { SmsConfig } from '../../../../src/flows/applets/sms.ts';
import { TextField } from '../../components/ui.tsx';
import { useBuilderData } from '../context.ts';
import type { ConfigEditor } from '../PropertiesPanel.tsx';
import { BodyEditor } from './BodyEditor.tsx';
import { DltCheckView } from './DltCheckView.tsx';
import { hasIvrBefore, passthrusBefore } from './flow-context.ts';
import { RecipientField } from './RecipientField.tsx';
import { SenderTemplateFields } from './SenderTemplateFields.tsx';
import { SmsCounter } from './SmsCounter.tsx';

export type { SmsConfig };

function asSmsConfig(config: unknown): SmsConfig {
  const c = (config ?? {}) as Partial<SmsConfig>;
  return {
    ...c,
    to: c.to ?? { kind: 'caller' },
    senderId: c.senderId ?? '',
    body: c.body ?? '',
    dltTemplateId: c.dltTemplateId ?? '',
    dltEntityId: c.dltEntityId ?? '',
  };
}

export const SmsEditor: ConfigEditor = ({ appletId, doc, config, onChange }) => {
  const sms = asSmsConfig(config);
  const { registry } = useBuilderData();
  const passthrus = useMemo(() => passthrusBefore(doc, appletId), [doc, appletId]);
  const ivr = useMemo(() => hasIvrBefore(doc, appletId), [doc, appletId]);
  const template = registry.templates.find(
    (t) =>
      t.templateId === sms.dltTemplateId && (!sms.dltEntityId || t.entityId === sms.dltEntityId),
  );
  const whitelist = registry.whitelist.filter((w) => w.entityId === sms.dltEntityId);

  const set = (patch: Partial<SmsConfig>) => {
    const next: Record<string, unknown> = { ...sms, ...patch };
    for (const key of ['smsType', 'statusCallback', 'customField'])
      if (next[key] === '' || next[key] === undefined) delete next[key];
    onChange(next);
  };

  return (
    <div className="stack sms-editor">
      <RecipientField value={sms.to} passthrus={passthrus} onChange={(to) => set({ to })} />
      <SenderTemplateFields config={sms} onChange={set} />
      <BodyEditor
        body={sms.body}
        onChange={(body) => set({ body })}
        template={template}
        passthrus={passthrus}
        ivrBefore={ivr}
      />
      <SmsCounter body={sms.body} smsType={sms.smsType ?? 'transactional'} />
      <DltCheckView body={sms.body} template={template} whitelist={whitelist} />
      <details>
        <summary>Status callback and custom field</summary>
        <div className="stack" style={{ marginTop: 8 }}>
          <TextField
            label="Status callback URL (optional)"
            type="url"
            value={sms.statusCallback ?? ''}
            onChange={(statusCallback) => set({ statusCallback })}
            placeholder="https://example.com/sms-status"
          />
          <TextField
            label="Custom field (optional)"
            value={sms.customField ?? ''}
            onChange={(customField) => set({ customField })}
            hint="Returned in status callbacks."
          />
        </div>
      </details>
    </div>
  );
};
