/**
 * A page of a list, newest first by (time, sid), after a cursor: what the message and call lists
 * share. The caller adds its own conditions through `p`, which numbers the parameters.
 */

import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { Row } from '../rows.ts';
import type { Page } from '../types.ts';
import type { SqlPort } from './port.ts';

export async function newestFirstPage<T extends { sid: string }>(
  port: SqlPort,
  opts: {
    table: string;
    /** The time column the list is ordered by. */
    timeColumn: string;
    conditions: (p: (value: unknown) => string) => string[];
    cursor: string | null;
    limit: number;
    fromRow: (row: Row) => T;
    timeOf: (item: T) => Date;
  },
): Promise<Page<T>> {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = opts.conditions(p);
  if (opts.cursor !== null) {
    const after = decodeCursor(opts.cursor);
    where.push(
      `(${opts.timeColumn}, sid) < (${p(port.time(new Date(after.createdAtMs)))}, ${p(after.sid)})`,
    );
  }
  const rows = await port.all(
    `SELECT * FROM ${opts.table} WHERE ${where.join(' AND ')}
     ORDER BY ${opts.timeColumn} DESC, sid DESC LIMIT ${p(opts.limit + 1)}`,
    params,
  );
  const items = rows.slice(0, opts.limit).map(opts.fromRow);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > opts.limit && last ? encodeCursor(opts.timeOf(last), last.sid) : null,
  };
}
