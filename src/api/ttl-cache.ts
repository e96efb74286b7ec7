/**
 * A small bounded cache whose entries expire after a fixed time. The API keeps verified API keys
 * and DLT registry lookups in it so the hot path (POST /api/v1/sms) costs no store round trip for
 * them; the short TTL bounds how long a change made by another process goes unseen.
 */

export interface TtlCache<V> {
  get(key: string): V | undefined;
  /** Whether the key holds an unexpired value (which may itself be `undefined`: a cached miss). */
  has(key: string): boolean;
  set(key: string, value: V): void;
  delete(key: string): void;
  /** Deletes every key that starts with `prefix` (one account's entries). */
  deletePrefix(prefix: string): void;
  clear(): void;
}

export function createTtlCache<V>(opts: {
  /** Milliseconds an entry lives. */
  ttlMs: number;
  /** Entries at most; the oldest is dropped first. */
  maxEntries: number;
  now: () => number;
}): TtlCache<V> {
  const entries = new Map<string, { value: V; expiresAt: number }>();

  function live(key: string): { value: V } | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= opts.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    get: (key) => live(key)?.value,
    has: (key) => live(key) !== undefined,
    set(key, value) {
      // Re-inserting moves the key to the end, so Map order stays oldest-first.
      entries.delete(key);
      entries.set(key, { value, expiresAt: opts.now() + opts.ttlMs });
      while (entries.size > opts.maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    delete: (key) => {
      entries.delete(key);
    },
    deletePrefix(prefix) {
      for (const key of entries.keys()) if (key.startsWith(prefix)) entries.delete(key);
    },
    clear: () => entries.clear(),
  };
}
