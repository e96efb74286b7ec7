/** The SMS API as the pages use it: the list with its filters, one message's detail, reports. */

import type { Static } from 'typebox';
import type { MessageDetailResource, MessageResource } from '../../../src/api/resources.ts';
import {
  MESSAGE_STATUSES,
  type MessageStatus,
  FINAL_STATUSES as SERVER_FINAL_STATUSES,
} from '../../../src/store/types.ts';
import { api, query } from './api.ts';

export type { MessageStatus };
export { MESSAGE_STATUSES };
export const FINAL_STATUSES: ReadonlySet<string> = new Set(SERVER_FINAL_STATUSES);

/** The API's message resources, as its schemas declare them. */
export type Message = Static<typeof MessageResource>;
export type MessageDetail = Static<typeof MessageDetailResource>;

/** The filters of GET /api/v1/sms (and of the reports and their CSV export). */
export interface MessageFilter {
  status?: string;
  to?: string;
  from?: string;
  since?: string;
  until?: string;
  callSid?: string;
  flowId?: string;
  smsType?: string;
  templateId?: string;
}

export const smsApi = {
  list: (filter: MessageFilter, cursor: string | null, limit: number, signal?: AbortSignal) =>
    api.get<{ items: Message[]; nextCursor: string | null }>(
      `/api/v1/sms${query({ ...filter, cursor, limit })}`,
      signal ? { signal } : {},
    ),
  get: (sid: string, signal?: AbortSignal) =>
    api.get<MessageDetail>(`/api/v1/sms/${encodeURIComponent(sid)}`, signal ? { signal } : {}),
};

/** The CSV export of the messages a filter selects (GET /api/v1/reports/sms.csv). */
export function csvExportUrl(filter: MessageFilter): string {
  return `/api/v1/reports/sms.csv${query({ ...filter })}`;
}
