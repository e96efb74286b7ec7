/**
 * The filters of the SMS list API, shared by the SMS and Reports pages. They live in the URL's
 * query string, so a filtered view can be bookmarked and the CSV export exports exactly it.
 */

import { useEffect, useState } from 'react';
import { SMS_TYPES } from '../../../src/store/types.ts';
import { localInputToIso } from '../lib/format.ts';
import { setSearch } from '../lib/router.ts';
import { MESSAGE_STATUSES, type MessageFilter } from '../lib/sms-api.ts';
import { SelectField, TextField } from './ui.tsx';

const KEYS = [
  'status',
  'to',
  'from',
  'since',
  'until',
  'callSid',
  'flowId',
  'smsType',
  'templateId',
] as const;

export function filterFromSearch(search: URLSearchParams): MessageFilter {
  const filter: MessageFilter = {};
  for (const key of KEYS) {
    const value = search.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

/** An ISO time → the value a datetime-local input shows (local time, minutes). */
function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function MessageFilters({ filter }: { filter: MessageFilter }) {
  const [draft, setDraft] = useState<MessageFilter>(filter);
  useEffect(() => setDraft(filter), [filter]);
  const set = (key: keyof MessageFilter) => (value: string) =>
    setDraft((d) => ({ ...d, [key]: value || undefined }));

  return (
    <form
      className="filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        setSearch({ ...draft });
      }}
    >
      <SelectField
        label="Status"
        value={draft.status ?? ''}
        onChange={set('status')}
        options={MESSAGE_STATUSES}
        placeholder="Any"
      />
      <SelectField
        label="SMS type"
        value={draft.smsType ?? ''}
        onChange={set('smsType')}
        options={SMS_TYPES}
        placeholder="Any"
      />
      <TextField
        label="To"
        value={draft.to ?? ''}
        onChange={set('to')}
        type="tel"
        placeholder="+91…"
      />
      <TextField label="Sender ID" value={draft.from ?? ''} onChange={set('from')} />
      <TextField
        label="DLT template ID"
        value={draft.templateId ?? ''}
        onChange={set('templateId')}
      />
      <TextField label="Flow ID" value={draft.flowId ?? ''} onChange={set('flowId')} />
      <TextField label="CallSid" value={draft.callSid ?? ''} onChange={set('callSid')} />
      <TextField
        label="Since"
        type="datetime-local"
        value={isoToLocalInput(draft.since)}
        onChange={(v) => setDraft((d) => ({ ...d, since: localInputToIso(v) }))}
      />
      <TextField
        label="Until"
        type="datetime-local"
        value={isoToLocalInput(draft.until)}
        onChange={(v) => setDraft((d) => ({ ...d, until: localInputToIso(v) }))}
      />
      <div className="row">
        <button type="submit" className="btn primary">
          Apply filters
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setDraft({});
            setSearch({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
