/**
 * Money in one place: amounts are integer paise; these write and read them as rupees with two
 * decimals, exactly (integer arithmetic, no floating point). Pure, so the web app uses it too.
 */

/** `-1234` paise → `"-12.34"`; with `grouped`, the rupees in Indian digit groups (`"1,23,456.00"`). */
export function paiseToRupees(paise: number, options: { grouped?: boolean } = {}): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  const whole = Math.floor(abs / 100);
  const rupees = options.grouped ? whole.toLocaleString('en-IN') : String(whole);
  return `${sign}${rupees}.${String(abs % 100).padStart(2, '0')}`;
}

/** Rupees as written (`"12.5"`, `"-3"`, at most two decimals) → paise; null when not an amount. */
export function parsePaise(text: string): number | null {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  const paise = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -paise : paise;
}
