/** The SMS API as the pages use it: the list with its filters, one message's detail, reports. */

import { api, query } from './api.ts';

export type MessageStatus =
  | 'queued'
  | 'sending'
  | 'submitted'
  | 'delivered'
  | 'undelivered'
  | 'failed';
export const MESSAGE_STATUSES: MessageStatus[] = [
  'queued',
  'sending',
  'submitted',
  'delivered',
  'undelivered',
  'failed',
];
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'undelivered', 'failed']);

export interface Message {
  sid: string;
  status: MessageStatus;
  reasonCode: string | null;
  reasonDescription: string | null;
  to: string;
  from: string;
  body: string;
  smsType: 'transactional' | 'service' | 'promotional';
  dltEntityId: string;
  dltTemplateId: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  pricePaise: number | null;
  price: string | null;
  carrier: string | null;
  carrierMessageIds: string[];
  origin: { kind: 'api' | 'exotel' | 'flow'; callSid?: string; flowId?: string; appletId?: string };
  customField: string | null;
  createdAt: string;
  updatedAt: string;
  submittedAt: string | null;
  doneAt: string | null;
}

export interface MessageDetail extends Message {
  transitions: {
    status: MessageStatus;
    at: string;
    reasonCode: string | null;
    detail: string | null;
  }[];
  parts: { seq: number; carrierMessageId: string; state: string; errorCode: string | null }[];
}

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
