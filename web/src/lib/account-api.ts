/** The account API: balance and rates, ledger, API keys, webhook secret. */

import { api } from './api.ts';

export interface Rates {
  transactional: number;
  service: number;
  promotional: number;
}

export interface Account {
  sid: string;
  name: string;
  timeZone: string;
  balancePaise: number;
  balance: string;
  rates: Rates;
  /** How the server counts segments (the setting sms.splitGraphemes). */
  sms: { splitGraphemes: boolean };
  createdAt: string;
}

export interface LedgerEntry {
  id: string;
  kind: 'debit' | 'refund' | 'topup';
  messageSid: string | null;
  amountPaise: number;
  amount: string;
  balanceAfterPaise: number;
  at: string;
  note: string | null;
}

export interface ApiKey {
  id: string;
  key: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface NewApiKey {
  id: string;
  key: string;
  token: string;
  label: string;
  createdAt: string;
}

const opts = (signal?: AbortSignal) => (signal ? { signal } : {});

export const accountApi = {
  get: (signal?: AbortSignal) => api.get<Account>('/api/v1/account', opts(signal)),
  update: (patch: { name?: string; timeZone?: string; rates?: Partial<Rates> }) =>
    api.patch<Account>('/api/v1/account', patch),
  ledger: (limit: number, signal?: AbortSignal) =>
    api.get<{ items: LedgerEntry[] }>(`/api/v1/account/ledger?limit=${limit}`, opts(signal)),
  keys: (signal?: AbortSignal) =>
    api.get<{ items: ApiKey[] }>('/api/v1/account/keys', opts(signal)),
  createKey: (label: string) => api.post<NewApiKey>('/api/v1/account/keys', { label }),
  revokeKey: (id: string) => api.delete<void>(`/api/v1/account/keys/${encodeURIComponent(id)}`),
  rotateWebhookSecret: () => api.post<{ webhookSecret: string }>('/api/v1/account/webhook-secret'),
};
