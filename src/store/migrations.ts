/**
 * Numbered migrations, one SQL file per step and dialect: `NNN_name.sql` in
 * `src/store/<dialect>/migrations/`. Versions start at 1 and have no gaps; an adapter applies the
 * pending ones in order and refuses to start when the database knows a higher version than the
 * code (it was migrated by a newer callflow, whose schema this code may misread).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { CallflowError } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Reads the migrations of one dialect, sorted; throws when the numbering has a gap or a repeat. */
export function loadMigrations(dir: URL): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => FILE.exec(file))
    .filter((m) => m !== null)
    .map((m) => ({
      version: Number(m[1]),
      name: m[2]!,
      sql: readFileSync(new URL(m[0], dir), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migrations in ${dir.pathname} must be numbered 001, 002, ... without gaps`);
    }
  });
  return migrations;
}

/** What remains to apply at `current`; throws STORE_TOO_NEW when the database is ahead of the code. */
export function pendingMigrations(current: number, known: Migration[]): Migration[] {
  const latest = known.length;
  if (current > latest) {
    throw new CallflowError(
      'STORE_TOO_NEW',
      `The database is at migration ${current} but this callflow knows only ${latest}; upgrade callflow before starting.`,
      { databaseVersion: current, codeVersion: latest },
    );
  }
  return known.slice(current);
}
