/** The account API: balance and rates, ledger, API keys, webhook secret. */

import type { Static } from 'typebox';
import type {
  AccountResource,
  ApiKeyResource,
  LedgerResource,
  NewApiKeyResource,
  RatesSchema,
} from '../../../src/api/routes/account.ts';
import { api } from './api.ts';

/** The account API's resources, as its schemas declare them. */
export type Rates = Static<typeof RatesSchema>;
export type Account = Static<typeof AccountResource>;
export type LedgerEntry = Static<typeof LedgerResource>;
export type ApiKey = Static<typeof ApiKeyResource>;
export type NewApiKey = Static<typeof NewApiKeyResource>;

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
