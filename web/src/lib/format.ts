/** Display helpers: money in paise, times, statuses. */

import { paiseToRupees, parsePaise } from '../../../src/money.ts';

/** `1234` paise → `₹12.34`, exact (integer arithmetic, no floating point). */
export function formatPaise(paise: number | null | undefined): string {
  if (paise === null || paise === undefined) return '—';
  const rupees = paiseToRupees(Math.round(paise), { grouped: true });
  return rupees.startsWith('-') ? `-₹${rupees.slice(1)}` : `₹${rupees}`;
}

/** Rupees typed by a person (`"12.5"`) → paise (`1250`); null when it is not an amount. */
export function parseRupees(text: string): number | null {
  return text.trim().startsWith('-') ? null : parsePaise(text);
}

const dateTime = new Intl.DateTimeFormat('en-IN', {
  dateStyle: 'medium',
  timeStyle: 'medium',
});
const timeOnly = new Intl.DateTimeFormat('en-IN', { timeStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : timeOnly.format(d);
}

/** Milliseconds between two ISO times as `1.2 s`; empty when either is missing. */
export function formatDuration(
  fromIso: string | null | undefined,
  toIso: string | null | undefined,
): string {
  if (!fromIso || !toIso) return '';
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms)) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export type Tone = 'success' | 'danger' | 'warning' | 'info' | 'primary' | '';

/** The badge colour of a message, call or template status. */
export function statusTone(status: string): Tone {
  switch (status) {
    case 'delivered':
    case 'completed':
    case 'approved':
    case 'active':
    case 'published':
    case 'always':
      return 'success';
    case 'failed':
    case 'undelivered':
    case 'rejected':
    case 'never':
    case 'error':
      return 'danger';
    case 'queued':
    case 'pending':
    case 'depends':
    case 'warning':
    case 'draft':
      return 'warning';
    case 'sending':
    case 'submitted':
    case 'in-progress':
    case 'running':
      return 'info';
    default:
      return '';
  }
}

/** `datetime-local` input value → ISO; undefined when empty. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
