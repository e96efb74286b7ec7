/** The dialect port (../sql/port.ts) over the PostgreSQL pool. */

import { pgCodec } from '../rows.ts';
import { driveAsync, type SqlPort } from '../sql/port.ts';
import { isUniqueViolation, type PgDb, type Queryable } from './db.ts';

export function pgPort(db: PgDb): SqlPort {
  const on = (q: Queryable) => ({
    get: (sql: string, params: readonly unknown[] = []) => q.get(sql, params as unknown[]),
    all: (sql: string, params: readonly unknown[] = []) => q.all(sql, params as unknown[]),
    run: (sql: string, params: readonly unknown[] = []) => q.run(sql, params as unknown[]),
  });
  return {
    dialect: 'postgres',
    codec: pgCodec,
    now: () => db.now(),
    time: (at) => at,
    json: (value) => JSON.stringify(value),
    ...on(db),
    tx: (steps) =>
      db.tx((q) => {
        const statements = on(q);
        return driveAsync(steps(), (s) => statements[s.kind](s.sql, s.params));
      }),
    isUniqueViolation,
    forShare: ' FOR SHARE',
    jsonParam: (param) => `${param}::jsonb`,
    jsonArrayHas: (column, param) => `${column} ? ${param}`,
  };
}
