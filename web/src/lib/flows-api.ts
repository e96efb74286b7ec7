/**
 * The flows, numbers and calls API as the Builder uses it (docs/api.md, docs/flows.md): flows saved
 * as numbered versions, one version live, ExoPhones assigned to flows, and simulated calls with
 * their logs.
 */

import type { FlowDocument } from '../../../src/flows/types.ts';
import type { FlowValidation } from '../../../src/flows/validate.ts';
import type { CallOrigin } from '../../../src/store/flow-types.ts';
import { api, query } from './api.ts';
import type { Message } from './sms-api.ts';

export interface FlowSummary {
  id: string;
  name: string;
  /** The newest saved version. */
  latestVersion: number;
  /** The published version, which calls to the flow's numbers run. */
  liveVersion: number | null;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
}

export interface FlowRecord extends FlowSummary {
  /** The version shown. */
  version: number;
  document: FlowDocument;
  validation: FlowValidation;
}

export interface ExoPhone {
  number: string;
  flowId: string | null;
  flowName: string | null;
  liveVersion: number | null;
}

export interface CallStep {
  appletId: string;
  type: string;
  enteredAt: string;
  leftAt: string | null;
  exit: string | null;
  durationMs: number;
  detail?: Record<string, unknown>;
}

export interface CallSmsEntry {
  appletId: string;
  to?: string;
  body?: string;
  sid?: string;
  code?: string;
  message?: string;
}

/** The call log (src/flows/runtime.ts); empty until the call has ended. */
export interface CallLog {
  steps?: CallStep[];
  sms?: CallSmsEntry[];
  endReason?: string | null;
  endCode?: string;
  endMessage?: string;
}

export interface CallSummary {
  sid: string;
  flowId: string;
  flowVersion: number;
  from: string;
  to: string;
  status: 'in-progress' | 'completed';
  endReason: string | null;
  startedAt: string;
  endedAt: string | null;
  origin: CallOrigin | null;
}

export interface CallRecord extends CallSummary {
  log: CallLog;
  /** The SMS the call produced, as they are now. */
  sms: Message[];
}

/** The simulated caller (src/telephony/script.ts). */
export interface TestCallScript {
  from: string;
  to: string;
  digits?: string;
  defaultAgent?: {
    behaviour: 'answer' | 'no-answer' | 'busy' | 'fail';
    answerAfterSeconds?: number;
    talkSeconds?: number;
  };
  hangupAfterSeconds?: number;
  hangupAfterApplet?: string;
}

interface List<T> {
  items: T[];
  nextCursor?: string | null;
}

const opts = (signal?: AbortSignal) => (signal ? { signal } : {});
const flowPath = (id: string) => `/api/v1/flows/${encodeURIComponent(id)}`;

export const flowsApi = {
  list: (signal?: AbortSignal) => api.get<List<FlowSummary>>('/api/v1/flows', opts(signal)),
  get: (id: string, signal?: AbortSignal) => api.get<FlowRecord>(flowPath(id), opts(signal)),
  /** Creates the flow with its version 1 (a draft with errors is kept). */
  create: (flow: FlowDocument) => api.post<FlowRecord>('/api/v1/flows', flow),
  /** Saves the document as the flow's next version. */
  save: (id: string, flow: FlowDocument) => api.put<FlowRecord>(flowPath(id), flow),
  /** Makes a version live; refused when it does not validate. */
  publish: (id: string, version: number) =>
    api.post<FlowRecord>(`${flowPath(id)}/publish${query({ version })}`),
  remove: (id: string) => api.delete<void>(flowPath(id)),
};

export const numbersApi = {
  list: (signal?: AbortSignal) => api.get<List<ExoPhone>>('/api/v1/numbers', opts(signal)),
  /** Adds the ExoPhone to the account if new, and assigns it to a flow (or to none). */
  assign: (number: string, flowId: string | null) =>
    api.put<ExoPhone>(`/api/v1/numbers/${encodeURIComponent(number)}`, { flowId }),
};

export const callsApi = {
  list: (params: Record<string, string | number | undefined>, signal?: AbortSignal) =>
    api.get<List<CallSummary>>(`/api/v1/calls${query(params)}`, opts(signal)),
  get: (sid: string, signal?: AbortSignal) =>
    api.get<CallRecord>(`/api/v1/calls/${encodeURIComponent(sid)}`, opts(signal)),
  /** A simulated call to an ExoPhone: it runs the flow live on that number, on virtual time. */
  start: (script: TestCallScript) => api.post<CallRecord>('/api/v1/calls', script),
};
