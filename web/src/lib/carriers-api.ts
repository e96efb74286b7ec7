/** The operator's API for the Carriers page (admin credentials, never an account's). */

import { api } from './api.ts';

export interface CarrierUsage {
  messages: number;
  delivered: number;
  undelivered: number;
  pending: number;
  deliveryRate: number | null;
  deliveryMedianMs: number | null;
  chargedPaise: number;
  costPaise: number | null;
}

export interface Carrier {
  name: string;
  enabled: boolean;
  source: 'file' | 'live';
  state: string;
  lastError: string | null;
  window: number;
  windowInUse: number;
  segmentsPerSecond: number;
  submitsPerSecond: number;
  throttlesPerSecond: number;
  lastHour: CarrierUsage;
}

// A 401 here means "not signed in as an operator", which must not sign the account app out.
const quiet = { quiet401: true };

export const carriersApi = {
  list: () => api.get<{ items: Carrier[] }>('/api/v1/carriers', quiet),
  setEnabled: (name: string, enabled: boolean) =>
    api.patch<Carrier>(`/api/v1/carriers/${encodeURIComponent(name)}`, { enabled }, quiet),
  signIn: (key: string, token: string) =>
    api.post<{ label: string }>('/api/v1/admin/session', { key, token }, quiet),
  signOut: () => api.delete<void>('/api/v1/admin/session', quiet),
};
