/**
 * Converted prompt audio on disk, one file per key (a hash of what the audio was made from):
 * a file is made once, written under a temporary name and renamed into place (a reader never
 * sees half a file, and several processes sharing DATA_DIR agree), and concurrent requests for
 * the same key wait for the one making it.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PROMPT_EXTENSION } from './sox.ts';

export class AudioCache {
  readonly dir: string;
  readonly #making = new Map<string, Promise<string>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The file for `key`, made with `make(temporaryPath)` when it is not on disk yet. */
  get(key: string, make: (path: string) => Promise<void>): Promise<string> {
    const path = join(this.dir, `${key}.${PROMPT_EXTENSION}`);
    const inFlight = this.#making.get(key);
    if (inFlight) return inFlight;
    // Registered before the first await, so a concurrent request finds it.
    const making = (async () => ((await exists(path)) ? path : this.#make(path, make)))().finally(
      () => this.#making.delete(key),
    );
    this.#making.set(key, making);
    return making;
  }

  async #make(path: string, make: (path: string) => Promise<void>): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp.${PROMPT_EXTENSION}`);
    try {
      await make(temporary);
      await rename(temporary, path);
      return path;
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}
