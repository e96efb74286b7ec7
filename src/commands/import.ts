/**
 * `callflow dlt import FILE --account SID [--entity-id ID] [--dry-run] [--json]` and
 * `callflow dnd import FILE --account SID [--consents [--entity-id ID]] [--dry-run] [--json]`: the
 * CSV imports of the API (DND preferences, or with --consents the consents), run
 * against the store named by the configuration (DATA_DIR or DATABASE_URL, or --config FILE).
 * The file is streamed; a progress bar on standard error follows it (plain lines when standard
 * error is not a terminal). Exit 0 when imported, 1 when a bad row refused the file.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { importConsents } from '../bulk-imports/consents.ts';
import { type DndImportResult, importDnd } from '../bulk-imports/dnd.ts';
import type { ImportProblem } from '../bulk-imports/report.ts';
import { importTemplates, type TemplateImportResult } from '../bulk-imports/templates.ts';
import { loadConfig } from '../config.ts';
import { CallflowError, coerceError } from '../errors.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { parse, UsageError } from './usage.ts';

export async function withStore<T>(
  configFile: string | undefined,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: configFile });
  const store = await openStore({
    ...(config.databaseUrl !== undefined
      ? { databaseUrl: config.databaseUrl }
      : { dataDir: config.dataDir }),
    ...(config.databaseSchema !== undefined && { schema: config.databaseSchema }),
  });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export interface Progress {
  /** Work done so far (of `total`, when known), and a short note such as "12,000 rows". */
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

const BAR = 28;

/**
 * A progress bar on a terminal (redrawn at most every 100 ms), or a plain line every 5 s when
 * the output is a file or a pipe (logs stay readable).
 */
export function createProgress(
  label: string,
  total: number | null,
  out: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): Progress {
  const tty = out.isTTY === true;
  let last = 0;
  let drawn = false;
  const line = (done: number, note: string) => {
    const share = total ? Math.min(1, done / total) : null;
    const bar =
      share === null
        ? ''
        : ` [${'#'.repeat(Math.round(share * BAR)).padEnd(BAR, '.')}] ${String(Math.floor(share * 100)).padStart(3)}%`;
    return `${label}${bar}${note ? `  ${note}` : ''}`;
  };
  return {
    update(done, note = '') {
      const t = now();
      if (t - last < (tty ? 100 : 5000)) return;
      last = t;
      if (tty) {
        out.write(`\r\x1b[K${line(done, note)}`);
        drawn = true;
      } else out.write(`${line(done, note)}\n`);
    },
    finish(note = '') {
      if (tty) out.write(`${drawn ? '\r\x1b[K' : ''}${line(total ?? 0, note)}\n`);
      else out.write(`${line(total ?? 0, note)}\n`);
    },
  };
}

const count = (n: number) => n.toLocaleString('en-IN');

/** The file as a stream of bytes, reporting how far it has been read. */
async function* readFile(path: string, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    bytes += (chunk as Buffer).length;
    onBytes(bytes);
    yield chunk as Buffer;
  }
}

function printProblems(problems: ImportProblem[], truncated: boolean, invalidRows: number): void {
  for (const p of problems) {
    process.stderr.write(
      `  line ${p.line}${p.field ? ` (${p.field})` : ''}: ${p.code}: ${p.message}\n`,
    );
  }
  if (truncated) process.stderr.write(`  ... and more (${count(invalidRows)} bad rows in all)\n`);
}

type Kind = 'templates' | 'dnd' | 'consents';

async function runImport(command: 'templates' | 'dnd', argv: string[]): Promise<number> {
  let kind: Kind = command;
  const { values, positionals } = parse(argv, {
    options: {
      account: { type: 'string' },
      'entity-id': { type: 'string' },
      consents: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError('give one FILE to import');
  if (!values.account) throw new UsageError('give --account SID');
  if (values.consents) {
    if (kind !== 'dnd') throw new UsageError('--consents goes with dnd import');
    kind = 'consents';
  }
  if (kind === 'dnd' && values['entity-id'] !== undefined) {
    throw new UsageError('--entity-id is for template and consent imports');
  }
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${coerceError(error).message}`);
  }
  const progress = createProgress(`importing ${file}`, size);
  let rows = 0;
  let bytes = 0;
  const onBytes = (b: number) => {
    bytes = b;
    progress.update(bytes, `${count(rows)} rows`);
  };
  const onProgress = (p: { rows: number }) => {
    rows = p.rows;
  };
  const dryRun = values['dry-run'];
  const entity = values['entity-id'] !== undefined ? { entityId: values['entity-id'] } : {};
  const report = await withStore(values.config, async (store) => {
    const account = await store.accounts.get(values.account!);
    if (!account) throw new CallflowError('NOT_FOUND', `no account ${values.account}`);
    const source = readFile(file, onBytes);
    if (kind === 'templates') {
      return importTemplates(store, account.sid, source, { ...entity, dryRun, onProgress });
    }
    if (kind === 'consents') {
      return importConsents(store, account.sid, source, {
        ...entity,
        timeZone: account.timeZone,
        dryRun,
        onProgress,
      });
    }
    return importDnd(store, account.sid, source, { dryRun, onProgress });
  });
  progress.finish(`${count(report.rows)} rows`);

  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else if (report.invalidRows > 0) {
    process.stderr.write(
      `${count(report.invalidRows)} of ${count(report.rows)} rows are invalid; nothing was imported:\n`,
    );
    printProblems(report.errors, report.errorsTruncated, report.invalidRows);
  } else if (kind === 'templates') {
    const r = report as TemplateImportResult;
    const verb = r.imported ? 'imported' : 'checked (dry run, nothing written)';
    const lint = r.templates.filter((t) => t.lint.length > 0);
    process.stdout.write(
      `${verb} ${count(r.rows)} templates: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged\n`,
    );
    for (const t of lint) {
      for (const f of t.lint) {
        process.stdout.write(
          `  line ${t.line} template ${t.templateId}: ${f.severity} ${f.code}: ${f.message}\n`,
        );
      }
    }
  } else {
    const r = report as DndImportResult;
    const verb = r.imported ? 'imported' : 'checked (dry run, nothing written)';
    process.stdout.write(
      `${verb} ${count(r.rows)} ${kind === 'consents' ? 'consents' : 'DND numbers'}\n`,
    );
  }
  if (report.ignoredColumns.length > 0 && !values.json) {
    process.stderr.write(`ignored columns: ${report.ignoredColumns.join(', ')}\n`);
  }
  return report.invalidRows > 0 ? 1 : 0;
}

/** `callflow dlt import FILE ...` (called by the dlt command). */
export function dltImportCommand(argv: string[]): Promise<number> {
  return runImport('templates', argv);
}

/** `callflow dnd import FILE ...`. */
export async function dndCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'import')
    throw new UsageError(`unknown subcommand '${sub ?? ''}' (expected 'import')`);
  return runImport('dnd', rest);
}
