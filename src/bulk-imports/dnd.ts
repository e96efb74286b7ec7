/**
 * DND (NCPR) preference import: a CSV of numbers and their preferences ("0", "1,3,5", "" for
 * none), streamed: rows are checked as they are read and handed to the store in batches inside
 * one import, so a file of any size takes constant memory and a 100,000-row file takes seconds.
 * All or nothing: after the first bad row nothing more is sent to the store, the rest of the file
 * is still read to report every bad row, and the import is rolled back.
 *
 * The header row is optional: a file whose first row starts with a phone number is read as
 * number, preferences.
 */

import { normalizeNumber } from '../sms/index.ts';
import type { Store } from '../store/types.ts';
import { type ColumnMap, type ColumnSpec, cell, mapColumns } from './columns.ts';
import { CsvError, readCsv } from './csv.ts';
import { type ImportProblem, type ImportProgress, ImportRefused, ProblemList } from './report.ts';
import { parsePreferences } from './values.ts';

type Field = 'number' | 'preferences';

export const DND_COLUMNS: readonly ColumnSpec<Field>[] = [
  {
    key: 'number',
    required: true,
    names: [
      'number',
      'phonenumber',
      'mobilenumber',
      'mobile',
      'msisdn',
      'phone',
      'mobileno',
      'phoneno',
      'subscriber',
      'subscribernumber',
      'recipient',
      'to',
      'contact',
    ],
  },
  {
    key: 'preferences',
    required: false,
    names: [
      'preferences',
      'preference',
      'dndpreferences',
      'ncprpreferences',
      'dndpreference',
      'prefs',
      'categories',
      'blockedcategories',
      'dndcategories',
      'category',
      'pref',
    ],
  },
];

/** Rows handed to the store at a time. */
export const DND_BATCH_ROWS = 5000;

export interface DndImportOptions {
  /** Check the file and report, but write nothing. */
  dryRun?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

export interface DndImportResult {
  /** True when the rows were written (false: a bad row, or a dry run). */
  imported: boolean;
  rows: number;
  invalidRows: number;
  errors: ImportProblem[];
  errorsTruncated: boolean;
  ignoredColumns: string[];
}

/**
 * E.164 of a DND number. Indian mobile numbers, nearly every row of a DND file, take a fast path
 * (libphonenumber costs ~100 µs a number: 10 s for 100,000 rows); the rest go through it.
 */
export function dndNumber(raw: string): string | undefined {
  const compact = raw.replace(/[\s().-]/g, '');
  const mobile = /^(?:\+91|91|0)?([6-9]\d{9})$/.exec(compact);
  return mobile ? `+91${mobile[1]}` : normalizeNumber(raw);
}

/** Files without a header row: number, preferences; or numbers alone. */
const POSITIONAL: ColumnMap<Field> = {
  index: { number: 0, preferences: 1 },
  missing: [],
  ignored: [],
};
const NUMBERS_ONLY: ColumnMap<Field> = { index: { number: 0 }, missing: [], ignored: [] };

export async function importDnd(
  store: Store,
  accountSid: string,
  source: AsyncIterable<Uint8Array | string>,
  options: DndImportOptions = {},
): Promise<DndImportResult> {
  const problems = new ProblemList();
  let columns: ColumnMap<Field> | null = null;
  let rows = 0;
  let fileProblem = false;

  const result = (imported: boolean): DndImportResult => ({
    imported,
    rows,
    invalidRows: problems.invalidRows,
    errors: problems.problems,
    errorsTruncated: problems.truncated,
    ignoredColumns: columns?.ignored ?? [],
  });

  /** Valid rows in batches, until the first problem; then the rest is only checked. */
  async function* batches(): AsyncGenerator<{ number: string; preferences: number[] }[]> {
    try {
      for await (const records of readCsv(source)) {
        const batch: { number: string; preferences: number[] }[] = [];
        for (const record of records) {
          if (record.fields.every((f) => f.trim() === '')) continue;
          if (columns === null) {
            const first = record.fields[0]?.trim() ?? '';
            if (dndNumber(first) === undefined) {
              columns = mapColumns(record.fields, DND_COLUMNS);
              if (columns.missing.length > 0) {
                fileProblem = true;
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
            columns = record.fields.length === 1 ? NUMBERS_ONLY : POSITIONAL;
          }
          rows++;
          const rowProblems: ImportProblem[] = [];
          const rawNumber = cell(columns, record.fields, 'number');
          const number = dndNumber(rawNumber);
          if (number === undefined) {
            rowProblems.push({
              line: record.line,
              field: 'number',
              code: 'INVALID_NUMBER',
              message:
                rawNumber === '' ? 'The number is empty.' : `"${rawNumber}" is not a phone number.`,
            });
          }
          // A list of numbers without preferences is a list of fully blocked numbers; an empty
          // cell in a preferences column is a number without preferences.
          const preferences =
            columns.index.preferences !== undefined
              ? parsePreferences(cell(columns, record.fields, 'preferences'))
              : { ok: true as const, value: [0] };
          if (!preferences.ok) {
            rowProblems.push({
              line: record.line,
              field: 'preferences',
              code: 'VALIDATION_FAILED',
              message: `${preferences.problem.charAt(0).toUpperCase()}${preferences.problem.slice(1)}.`,
            });
          }
          problems.addRow(rowProblems);
          if (problems.empty && number !== undefined && preferences.ok) {
            batch.push({ number, preferences: preferences.value });
          }
        }
        options.onProgress?.({ rows });
        // Once a row is bad nothing will be written: stop feeding the store, keep checking.
        if (problems.empty && !options.dryRun) {
          for (let i = 0; i < batch.length; i += DND_BATCH_ROWS) {
            yield batch.slice(i, i + DND_BATCH_ROWS);
          }
        }
      }
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      fileProblem = true;
      problems.addRow([{ line: error.line, code: 'MALFORMED_REQUEST', message: error.message }]);
    }
    if (columns === null && !fileProblem) {
      problems.addRow([{ line: 1, code: 'VALIDATION_FAILED', message: 'The file is empty.' }]);
    }
    if (!problems.empty) throw new ImportRefused();
  }

  if (options.dryRun) {
    try {
      for await (const _ of batches()) {
        // Checking only.
      }
    } catch (error) {
      if (!(error instanceof ImportRefused)) throw error;
    }
    return result(false);
  }
  try {
    await store.dnd.importMany(accountSid, batches());
  } catch (error) {
    if (error instanceof ImportRefused) return result(false);
    throw error;
  }
  return result(true);
}
