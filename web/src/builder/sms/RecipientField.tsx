/**
 * Who receives the SMS: the caller (default), the ExoPhone called, a fixed number (checked as it
 * is typed, with the same parser the API uses), or a field of an earlier Passthru's answer.
 */

import { useId } from 'react';
import type { Recipient } from '../../../../src/flows/applets/sms.ts';
import { Field, SelectField, TextField } from '../../components/ui.tsx';
import { checkRecipient } from './core.ts';

export type { Recipient };

const KINDS: { value: Recipient['kind']; label: string }[] = [
  { value: 'caller', label: "Caller's number" },
  { value: 'called', label: 'Called number (ExoPhone)' },
  { value: 'custom', label: 'Custom number' },
  { value: 'dynamic', label: 'Dynamic (Passthru)' },
];

export function RecipientField({
  value,
  passthrus,
  onChange,
}: {
  value: Recipient;
  passthrus: string[];
  onChange: (to: Recipient) => void;
}) {
  const name = useId();

  function choose(kind: Recipient['kind']) {
    if (kind === value.kind) return;
    if (kind === 'custom') onChange({ kind, number: '' });
    else if (kind === 'dynamic') onChange({ kind, from: passthrus[0] ? `${passthrus[0]}.` : '' });
    else onChange({ kind });
  }

  const check =
    value.kind === 'custom' && value.number !== '' ? checkRecipient(value.number) : null;
  const [passthru = '', field = ''] = value.kind === 'dynamic' ? splitOnce(value.from) : [];

  return (
    <fieldset>
      <legend>To number</legend>
      <div className="radio-row" role="radiogroup" aria-label="Recipient">
        {KINDS.map((k) => (
          <label key={k.value}>
            <input
              type="radio"
              name={name}
              value={k.value}
              checked={value.kind === k.value}
              onChange={() => choose(k.value)}
            />
            {k.label}
          </label>
        ))}
      </div>
      {value.kind === 'custom' ? (
        <TextField
          label="Recipient number"
          type="tel"
          value={value.number}
          onChange={(number) => onChange({ kind: 'custom', number: number.trim() })}
          onBlur={() => {
            // Stored in E.164, the form the applet's schema and the carrier expect.
            if (check?.ok && check.e164 !== value.number)
              onChange({ kind: 'custom', number: check.e164 });
          }}
          placeholder="+919812345678"
          hint={
            check?.ok
              ? `Valid: ${check.e164}${check.type ? ` (${check.type})` : ''}`
              : 'A mobile number; +91 is assumed.'
          }
          error={check && !check.ok ? check.message : undefined}
        />
      ) : null}
      {value.kind === 'dynamic' ? (
        passthrus.length === 0 ? (
          <p className="alert warning small">
            No sync Passthru applet comes before this one: connect one first.
          </p>
        ) : (
          <div className="row" style={{ alignItems: 'flex-start' }}>
            <SelectField
              label="Passthru applet"
              value={passthru}
              onChange={(p) => onChange({ kind: 'dynamic', from: `${p}.${field}` })}
              options={passthrus}
            />
            <Field label="Field of its answer" hint="e.g. phone, or customer.mobile">
              {({ id, describedBy }) => (
                <input
                  id={id}
                  type="text"
                  value={field}
                  aria-describedby={describedBy}
                  onChange={(e) =>
                    onChange({ kind: 'dynamic', from: `${passthru}.${e.target.value.trim()}` })
                  }
                />
              )}
            </Field>
          </div>
        )
      ) : null}
    </fieldset>
  );
}

function splitOnce(from: string): [string, string] {
  const dot = from.indexOf('.');
  return dot < 0 ? [from, ''] : [from.slice(0, dot), from.slice(dot + 1)];
}
