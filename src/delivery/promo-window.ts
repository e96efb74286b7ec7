/**
 * The promotional window (TRAI: promotional SMS only 10:00–21:00 IST; configurable, since
 * sources differ): is an instant inside it, and if not, when does it next open? Works in any
 * IANA zone, daylight saving included, from the zone's wall clock via Intl.
 */

import type { PromoWindow } from './config.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(at: Date, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]));
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** The instant when the wall clock in `timeZone` shows this local date and time. */
function zonedInstant(y: number, mo: number, d: number, minutes: number, timeZone: string): Date {
  const wanted = Date.UTC(y, mo - 1, d, 0, minutes);
  let guess = wanted;
  // Two rounds settle the zone offset, also across a daylight-saving change.
  for (let i = 0; i < 2; i++) {
    const w = wallClock(new Date(guess), timeZone);
    const shown = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
    guess += wanted - shown;
  }
  return new Date(guess);
}

const minutesOf = (hhmm: string): number => {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new RangeError(`promotional window time ${JSON.stringify(hhmm)} is not HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/** Throws when the window's times are not HH:MM, start is not before end, or the zone is unknown. */
export function validatePromoWindow(w: PromoWindow): void {
  if (minutesOf(w.start) >= minutesOf(w.end)) {
    throw new RangeError(`promotional window start ${w.start} must be before its end ${w.end}`);
  }
  wallClock(new Date(0), w.timeZone);
}

export function promoWindowState(
  now: Date,
  w: PromoWindow,
): { open: true } | { open: false; opensAt: Date } {
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  const local = wallClock(now, w.timeZone);
  const minute = local.h * 60 + local.mi;
  if (minute >= start && minute < end) return { open: true };
  // Before the opening: today's; after the close: tomorrow's (Date.UTC rolls the day over).
  const day = minute < start ? local.d : local.d + 1;
  const next = new Date(Date.UTC(local.y, local.mo - 1, day));
  return {
    open: false,
    opensAt: zonedInstant(
      next.getUTCFullYear(),
      next.getUTCMonth() + 1,
      next.getUTCDate(),
      start,
      w.timeZone,
    ),
  };
}
