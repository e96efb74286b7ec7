/**
 * A message filter as SQL conditions, in one place: the message list and the SMS summary both
 * build their WHERE clause with it. `p` adds a parameter and answers its placeholder; `time`
 * turns a Date into the dialect's timestamp parameter.
 */

import type { MessageFilter } from '../types.ts';

const COLUMNS = [
  ['status', 'status'],
  ['to', 'to_number'],
  ['from', 'sender_id'],
  ['callSid', 'call_sid'],
  ['flowId', 'flow_id'],
  ['smsType', 'sms_type'],
  ['dltTemplateId', 'dlt_template_id'],
] as const;

export function messageFilterConditions(
  filter: MessageFilter,
  p: (value: unknown) => string,
  time: (at: Date) => unknown,
): string[] {
  const where: string[] = [];
  if (filter.since) where.push(`created_at >= ${p(time(filter.since))}`);
  if (filter.until) where.push(`created_at < ${p(time(filter.until))}`);
  for (const [key, column] of COLUMNS) {
    const value = filter[key];
    if (value !== undefined) where.push(`${column} = ${p(value)}`);
  }
  return where;
}
