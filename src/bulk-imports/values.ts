/**
 * Cell values of imported files, as DLT portals and spreadsheets write them: template categories
 * ("Service Implicit", "SE", "SERVICE_EXPLICIT"), statuses ("Active", "Deactivated"), header lists
 * ("ACMECO, ACMEIN" or "ACMECO|ACMEIN"), NCPR categories and DND preference lists ("1,3,5").
 * Each parser returns the value or a sentence saying what was expected.
 */

import type { TemplateCategory, TemplateStatus } from '../store/types.ts';
import { normalizeName } from './columns.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

const CATEGORY_WORDS: [RegExp, TemplateCategory][] = [
  [/implicit/, 'service-implicit'],
  [/explicit|optin/, 'service-explicit'],
  [/promo|marketing/, 'promotional'],
  [/trans|otp/, 'transactional'],
];
const CATEGORY_CODES: Record<string, TemplateCategory> = {
  t: 'transactional',
  txn: 'transactional',
  si: 'service-implicit',
  se: 'service-explicit',
  p: 'promotional',
  pr: 'promotional',
};

export function parseCategory(raw: string): Parsed<TemplateCategory> {
  const v = normalizeName(raw);
  if (v === '') return no('the template type (category) is empty');
  const code = CATEGORY_CODES[v];
  if (code) return ok(code);
  for (const [pattern, category] of CATEGORY_WORDS) if (pattern.test(v)) return ok(category);
  if (v === 'service') {
    return no('"Service" is ambiguous: write Service Implicit or Service Explicit');
  }
  return no(
    `"${raw}" is not a template type: expected Transactional, Service Implicit, Service Explicit or Promotional`,
  );
}

const STATUS_WORDS: Record<string, TemplateStatus> = {
  approved: 'approved',
  approve: 'approved',
  active: 'approved',
  activated: 'approved',
  live: 'approved',
  enabled: 'approved',
  pending: 'pending',
  submitted: 'pending',
  underreview: 'pending',
  inreview: 'pending',
  awaitingapproval: 'pending',
  pendingapproval: 'pending',
  rejected: 'rejected',
  reject: 'rejected',
  declined: 'rejected',
  inactive: 'inactive',
  deactivated: 'inactive',
  deactive: 'inactive',
  disabled: 'inactive',
  suspended: 'inactive',
  blocked: 'inactive',
  blacklisted: 'inactive',
  expired: 'inactive',
  deleted: 'inactive',
};

export function parseTemplateStatus(raw: string): Parsed<TemplateStatus> {
  const v = normalizeName(raw);
  if (v === '') return no('the status is empty');
  const status = STATUS_WORDS[v];
  if (status) return ok(status);
  return no(
    `"${raw}" is not a template status: expected Approved (Active), Pending, Rejected or Inactive (Deactivated)`,
  );
}

/**
 * Headers linked to a template: separated by commas, semicolons, pipes, slashes or line breaks,
 * with an operator prefix ("VM-ACMECO") or a category suffix ("ACMECO-S") removed.
 */
export function parseHeaders(raw: string): Parsed<string[]> {
  const out: string[] = [];
  for (const part of raw.split(/[,;|/\r\n]+/)) {
    let h = part.trim().replace(/^['"]+|['"]+$/g, '');
    if (h === '') continue;
    h = h.replace(/^[A-Z]{2}-(?=[A-Za-z0-9]{6}(-[A-Z])?$)/, '').replace(/-[A-Z]$/, '');
    if (!/^[A-Za-z0-9]{1,11}$/.test(h)) return no(`"${part.trim()}" is not a sender ID (header)`);
    if (!out.includes(h)) out.push(h);
  }
  return ok(out);
}

/** NCPR preference categories 1-7 by their names on the NCPR register. */
const NCPR_WORDS: [RegExp, number][] = [
  [/bank|insurance|financ|credit/, 1],
  [/realestate|property/, 2],
  [/education/, 3],
  [/health/, 4],
  [/consumer|automobile/, 5],
  [/communication|broadcast|entertainment|infotech|it$/, 6],
  [/tourism|leisure|travel/, 7],
];

/** The NCPR category of a promotional template: 1-7 or its name; '' is unknown (null). */
export function parseNcprCategory(raw: string): Parsed<number | null> {
  const v = normalizeName(raw);
  if (v === '') return ok(null);
  if (/^[1-7]$/.test(v)) return ok(Number(v));
  for (const [pattern, n] of NCPR_WORDS) if (pattern.test(v)) return ok(n);
  return no(`"${raw}" is not an NCPR category: expected 1 to 7 or its name (e.g. Education)`);
}

/**
 * DND preferences: "" (none), "0" (fully blocked), or categories 1-7 separated by commas, pipes,
 * semicolons or spaces ("1,3,5", "1|3", "[1, 3]"). Sorted, without repeats.
 */
export function parsePreferences(raw: string): Parsed<number[]> {
  const text = raw.trim().replace(/^[[(]|[\])]$/g, '');
  if (text === '') return ok([]);
  const out = new Set<number>();
  for (const part of text.split(/[\s,;|/]+/)) {
    if (part === '') continue;
    if (!/^[0-7]$/.test(part)) {
      return no(`preference "${part}" is not 0 (fully blocked) or a category 1 to 7`);
    }
    out.add(Number(part));
  }
  return ok([...out].sort((a, b) => a - b));
}
