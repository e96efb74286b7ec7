/** The dialect port (../sql/port.ts) over the SQLite connection. */

import type { SQLInputValue } from 'node:sqlite';
import { sqliteCodec } from '../rows.ts';
import { driveSync, type SqlPort, type Statement } from '../sql/port.ts';
import type { SqliteDb } from './db.ts';

// 1555 SQLITE_CONSTRAINT_PRIMARYKEY, 2067 SQLITE_CONSTRAINT_UNIQUE
const UNIQUE_ERRCODES = new Set([1555, 2067]);

export function isSqliteUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; errcode?: number };
  return e.code === 'ERR_SQLITE_ERROR' && UNIQUE_ERRCODES.has(e.errcode ?? 0);
}

/** `$1` → `?1`: SQLite's numbered parameters bind by the same numbers as PostgreSQL's. */
const translated = new Map<string, string>();
export function sqliteSql(sql: string): string {
  let text = translated.get(sql);
  if (text === undefined) {
    text = sql.replace(/\$(\d+)/g, '?$1');
    translated.set(sql, text);
  }
  return text;
}

export function sqlitePort(db: SqliteDb): SqlPort {
  const exec = ({ kind, sql, params }: Statement): unknown => {
    const args = params as SQLInputValue[];
    if (kind === 'get') return db.get(sqliteSql(sql), ...args);
    if (kind === 'all') return db.all(sqliteSql(sql), ...args);
    return db.run(sqliteSql(sql), ...args);
  };
  const settle = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    dialect: 'sqlite',
    codec: sqliteCodec,
    now: () => db.now(),
    time: (at) => at.getTime(),
    json: (value) => JSON.stringify(value),
    get: (sql, params = []) => settle(() => exec({ kind: 'get', sql, params })) as never,
    all: (sql, params = []) => settle(() => exec({ kind: 'all', sql, params })) as never,
    run: (sql, params = []) => settle(() => exec({ kind: 'run', sql, params })) as never,
    tx: (steps) => settle(() => db.tx(() => driveSync(steps(), exec))),
    isUniqueViolation: isSqliteUniqueViolation,
    forShare: '',
    jsonParam: (param) => param,
    jsonArrayHas: (column, param) =>
      `EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ${param})`,
  };
}
