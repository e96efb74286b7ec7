/**
 * Consent import: the consents that let promotional and service-explicit messages reach numbers
 * on the DND register, as a CSV of number, entity ID, template ID (empty: all of the entity's
 * templates), and optionally when it was given and when it expires. Streamed and all or nothing,
 * like the DND import.
 *
 * Dates are ISO 8601 (2026-06-01T10:00:00+05:30), or a day as spreadsheets in India write it
 * (2026-06-01, 01/06/2026, 01-06-2026: day first), or a local time without a zone, both read in
 * the account's time zone.
 */

import { validateEntityId, validateTemplateId } from '../dlt/index.ts';
import { offsetAt } from '../reports/time-zone.ts';
import type { ConsentRecord, Store } from '../store/types.ts';
import { type ColumnMap, type ColumnSpec, cell, cleanId, mapColumns } from './columns.ts';
import { CsvError, readCsv } from './csv.ts';
import { DND_COLUMNS, dndNumber } from './dnd.ts';
import { type ImportProblem, type ImportProgress, ImportRefused, ProblemList } from './report.ts';

type Field = 'number' | 'entityId' | 'templateId' | 'grantedAt' | 'expiresAt';

export const CONSENT_COLUMNS: readonly ColumnSpec<Field>[] = [
  { key: 'number', required: true, names: DND_COLUMNS[0]!.names },
  {
    key: 'entityId',
    required: false,
    names: ['entityid', 'peid', 'principalentityid', 'dltentityid'],
  },
  {
    key: 'templateId',
    required: false,
    names: ['templateid', 'dlttemplateid', 'contenttemplateid', 'ctid'],
  },
  {
    key: 'grantedAt',
    required: false,
    names: [
      'grantedat',
      'consentdate',
      'consentedat',
      'consentgivenat',
      'optindate',
      'optedinat',
      'granted',
      'date',
    ],
  },
  {
    key: 'expiresAt',
    required: false,
    names: ['expiresat', 'expirydate', 'expiry', 'expires', 'validtill', 'validuntil', 'validupto'],
  },
];

const BATCH = 5000;
type Consent = Omit<ConsentRecord, 'accountSid' | 'revokedAt'>;

export interface ConsentImportOptions {
  /** Entity of rows without an Entity ID. */
  entityId?: string;
  /** Zone of dates written without one. Default Asia/Kolkata. */
  timeZone?: string;
  /** When a consent without a date was given. Default: now. */
  now?: Date;
  dryRun?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ConsentImportResult {
  imported: boolean;
  rows: number;
  invalidRows: number;
  errors: ImportProblem[];
  errorsTruncated: boolean;
  ignoredColumns: string[];
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const DAY_FIRST = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$/;

/** A date of a consent file; undefined when it is not one. */
export function parseConsentDate(raw: string, timeZone: string): Date | undefined {
  const text = raw.trim();
  let parts: number[] | undefined;
  const local = LOCAL.exec(text);
  if (local) parts = local.slice(1).map((v) => Number(v ?? 0));
  const dayFirst = DAY_FIRST.exec(text);
  if (dayFirst) parts = [Number(dayFirst[3]), Number(dayFirst[2]), Number(dayFirst[1]), 0, 0, 0];
  if (parts) {
    const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    const check = new Date(wall);
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
      return undefined;
    }
    // The wall-clock time in the zone: subtract the offset in force then (checked once more
    // across an offset change).
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    let at = wall - offsetAt(fmt, wall);
    at = wall - offsetAt(fmt, at);
    return new Date(at);
  }
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export async function importConsents(
  store: Store,
  accountSid: string,
  source: AsyncIterable<Uint8Array | string>,
  options: ConsentImportOptions = {},
): Promise<ConsentImportResult> {
  const timeZone = options.timeZone ?? 'Asia/Kolkata';
  const now = options.now ?? new Date();
  const entities = new Set((await store.dlt.listEntities(accountSid)).map((e) => e.entityId));
  const problems = new ProblemList();
  let columns: ColumnMap<Field> | null = null;
  let rows = 0;

  const result = (imported: boolean): ConsentImportResult => ({
    imported,
    rows,
    invalidRows: problems.invalidRows,
    errors: problems.problems,
    errorsTruncated: problems.truncated,
    ignoredColumns: columns?.ignored ?? [],
  });

  function readRow(line: number, fields: string[], map: ColumnMap<Field>): Consent | null {
    const get = (f: Field) => cell(map, fields, f);
    const found: ImportProblem[] = [];
    const bad = (field: Field, code: ImportProblem['code'], message: string) =>
      found.push({ line, field, code, message });

    const rawNumber = get('number');
    const number = dndNumber(rawNumber);
    if (number === undefined) {
      bad(
        'number',
        'INVALID_NUMBER',
        rawNumber === '' ? 'The number is empty.' : `"${rawNumber}" is not a phone number.`,
      );
    }
    const rawEntity = get('entityId') || options.entityId || '';
    const entity = cleanId(rawEntity);
    let entityId = '';
    if (rawEntity === '')
      bad(
        'entityId',
        'VALIDATION_FAILED',
        'No Entity ID: add the column, or give the entity of the file.',
      );
    else if ('problem' in entity)
      bad('entityId', 'INVALID_ENTITY_ID', `Entity ID ${entity.problem}.`);
    else if (validateEntityId(entity.id) !== null)
      bad('entityId', 'INVALID_ENTITY_ID', `Entity ID "${entity.id}" is not 12 to 19 digits.`);
    else if (!entities.has(entity.id))
      bad('entityId', 'DLT_ENTITY_NOT_FOUND', `Entity ${entity.id} is not registered.`);
    else entityId = entity.id;

    let templateId: string | null = null;
    const rawTemplate = get('templateId');
    if (rawTemplate !== '') {
      const t = cleanId(rawTemplate);
      if ('problem' in t) bad('templateId', 'INVALID_TEMPLATE_ID', `Template ID ${t.problem}.`);
      else if (validateTemplateId(t.id) !== null)
        bad('templateId', 'INVALID_TEMPLATE_ID', `Template ID "${t.id}" is not 12 to 19 digits.`);
      else templateId = t.id;
    }
    const date = (field: 'grantedAt' | 'expiresAt'): Date | null => {
      const raw = get(field);
      if (raw === '') return null;
      const d = parseConsentDate(raw, timeZone);
      if (d === undefined) {
        bad(
          field,
          'VALIDATION_FAILED',
          `"${raw}" is not a date (2026-06-01, 01/06/2026 or ISO 8601).`,
        );
        return null;
      }
      return d;
    };
    const grantedAt = date('grantedAt') ?? now;
    const expiresAt = date('expiresAt');
    if (expiresAt !== null && expiresAt <= grantedAt) {
      bad('expiresAt', 'VALIDATION_FAILED', 'The consent expires before it was given.');
    }
    problems.addRow(found);
    if (found.length > 0 || number === undefined) return null;
    return { number, entityId, templateId, grantedAt, expiresAt };
  }

  async function* batches(): AsyncGenerator<Consent[]> {
    try {
      for await (const records of readCsv(source)) {
        const batch: Consent[] = [];
        for (const record of records) {
          if (record.fields.every((f) => f.trim() === '')) continue;
          if (columns === null) {
            columns = mapColumns(record.fields, CONSENT_COLUMNS);
            if (columns.missing.length > 0) {
              problems.addRow([
                {
                  line: record.line,
                  code: 'VALIDATION_FAILED',
                  message: `The header row has no number column (found: ${record.fields.join(', ')}).`,
                },
              ]);
              throw new ImportRefused();
            }
            continue;
          }
          rows++;
          const consent = readRow(record.line, record.fields, columns);
          if (consent !== null && problems.empty) batch.push(consent);
        }
        options.onProgress?.({ rows });
        if (problems.empty && !options.dryRun) {
          for (let i = 0; i < batch.length; i += BATCH) yield batch.slice(i, i + BATCH);
        }
      }
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      problems.addRow([{ line: error.line, code: 'MALFORMED_REQUEST', message: error.message }]);
    }
    if (columns === null && problems.empty) {
      problems.addRow([{ line: 1, code: 'VALIDATION_FAILED', message: 'The file is empty.' }]);
    }
    if (!problems.empty) throw new ImportRefused();
  }

  try {
    if (options.dryRun) {
      for await (const _ of batches()) {
        // Checking only.
      }
      return result(false);
    }
    await store.dnd.importConsents(accountSid, batches());
  } catch (error) {
    if (error instanceof ImportRefused) return result(false);
    throw error;
  }
  return result(true);
}
