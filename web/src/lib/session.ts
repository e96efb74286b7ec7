/**
 * The signed-in state of the app. The session itself is an httpOnly cookie the script cannot read;
 * GET /api/v1/session says whether it is valid and for which account.
 */

import { useSyncExternalStore } from 'react';
import { api, onUnauthorized } from './api.ts';

export interface SessionAccount {
  sid: string;
  name: string;
  timeZone: string;
}

export interface SessionInfo {
  account: SessionAccount;
  /** The API key the session was opened with. */
  keyId: string;
  expiresAt: string;
}

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'signed-in'; session: SessionInfo };

let state: SessionState = { status: 'loading' };
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

export function useSession(): SessionState {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => state,
  );
}

/** Asks the server whether the cookie is still good. */
export async function refreshSession(): Promise<void> {
  try {
    const session = await api.get<SessionInfo>('/api/v1/session', { quiet401: true });
    set({ status: 'signed-in', session });
  } catch {
    set({ status: 'signed-out' });
  }
}

export async function signIn(key: string, token: string): Promise<void> {
  const session = await api.post<SessionInfo>(
    '/api/v1/session',
    { key, token },
    { quiet401: true },
  );
  set({ status: 'signed-in', session });
}

export async function signOut(): Promise<void> {
  try {
    await api.delete('/api/v1/session', { quiet401: true });
  } finally {
    set({ status: 'signed-out' });
  }
}

onUnauthorized(() => {
  if (state.status === 'signed-in') set({ status: 'signed-out' });
});
