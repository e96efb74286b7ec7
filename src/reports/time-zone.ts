/**
 * UTC offsets of an IANA time zone over a period, for reports that group by local day or hour:
 * the offset at the start, and every change inside the period (daylight saving), found by a daily
 * scan and a binary search to the second. India has one offset all year; the code does not assume it.
 */

import type { OffsetSegment } from '../store/types.ts';

const DAY = 86_400_000;

function formatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
}

/** The zone's offset from UTC at an instant, ms ("GMT+05:30" → 19,800,000). */
export function offsetAt(fmt: Intl.DateTimeFormat, at: number): number {
  const name = fmt.formatToParts(new Date(at)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(name);
  if (!m) return 0;
  const ms = (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/** Throws RangeError for a zone the runtime does not know. */
export function offsetSegments(timeZone: string, since: Date, until: Date): OffsetSegment[] {
  const fmt = formatter(timeZone);
  const start = since.getTime();
  const end = until.getTime();
  const segments: OffsetSegment[] = [{ fromMs: start, offsetMs: offsetAt(fmt, start) }];
  let at = start;
  let offset = segments[0]!.offsetMs;
  while (at < end) {
    const next = Math.min(at + DAY, end);
    const nextOffset = offsetAt(fmt, next);
    if (nextOffset !== offset) {
      // The change lies in (at, next]: narrow it to the second.
      let lo = at;
      let hi = next;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(fmt, mid) === offset) lo = mid;
        else hi = mid;
      }
      let from = Math.floor(hi / 1000) * 1000;
      if (from <= lo || offsetAt(fmt, from) === offset) from += 1000;
      segments.push({ fromMs: from, offsetMs: offsetAt(fmt, from) });
      offset = nextOffset;
    }
    at = next;
  }
  return segments;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A local day number (days since the epoch in local time) as YYYY-MM-DD. */
export function localDay(dayNumber: number): string {
  const d = new Date(dayNumber * DAY);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** A local hour number as YYYY-MM-DDTHH:00. */
export function localHour(hourNumber: number): string {
  const d = new Date(hourNumber * 3_600_000);
  return `${localDay(Math.floor(hourNumber / 24))}T${pad(d.getUTCHours())}:00`;
}

// Building a formatter costs far more than using one: keep one per zone.
const exotelFormats = new Map<string, Intl.DateTimeFormat>();

/** An instant as Exotel writes times: YYYY-MM-DD HH:mm:ss in the zone. */
export function exotelTime(at: Date | null, timeZone: string): string {
  if (at === null) return '';
  let fmt = exotelFormats.get(timeZone);
  if (fmt === undefined) {
    // sv-SE formats as YYYY-MM-DD HH:mm:ss.
    fmt = new Intl.DateTimeFormat('sv-SE', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    exotelFormats.set(timeZone, fmt);
  }
  return fmt.format(at);
}
