/**
 * Recorded prompts for `play(url)`: the WAV file is fetched through the SSRF guard (public
 * addresses only unless the deployment allows more) with a size limit, checked to be a WAV
 * callflow can play (PCM at any usual rate, mu-law or A-law, mono or stereo), converted to 8 kHz
 * mono A-law with sox (see sox.ts) and cached under DATA_DIR by the hash of its bytes. A URL is fetched again after
 * `refetchSeconds`, so a customer who replaces a recording is heard within minutes.
 */

import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboundPolicy } from '../../delivery/ssrf.ts';
import { createGuardedFetch, ResponseTooLarge } from '../../flows/guarded-fetch.ts';
import type { FetchGuarded } from '../../flows/types.ts';
import { AudioCache } from './audio-cache.ts';
import { MediaError } from './errors.ts';
import { toTelephoneAudio } from './sox.ts';

export interface PromptFetcher {
  /** The path of a cached 8 kHz mono A-law `.au` file of the prompt at `url`. */
  fetch(url: string): Promise<string>;
}

export interface PromptFetcherOptions {
  dataDir: string;
  /** Who may be fetched: the policy Passthru and status callbacks use. */
  outboundPolicy: OutboundPolicy;
  /** Largest prompt file accepted, bytes; default 10 MiB (about 10 minutes of 8 kHz audio). */
  maxBytes?: number;
  /** How long a URL's audio is used before the URL is fetched again, seconds; default 300. */
  refetchSeconds?: number;
  /** Time allowed for one fetch, ms; default 15 s. */
  timeoutMs?: number;
  /** Replaces the guarded fetch (tests pass one with their own resolver). */
  fetchGuarded?: FetchGuarded;
}

/** WAVE format tags callflow accepts: PCM, IEEE float, A-law, mu-law, extensible. */
const FORMATS = new Map([
  [1, 'PCM'],
  [3, 'float'],
  [6, 'A-law'],
  [7, 'mu-law'],
  [0xfffe, 'extensible'],
]);

export function createPromptFetcher(options: PromptFetcherOptions): PromptFetcher {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const refetchMs = (options.refetchSeconds ?? 300) * 1000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const fetchGuarded =
    options.fetchGuarded ??
    createGuardedFetch(options.outboundPolicy, undefined, {
      maxResponseBytes: maxBytes,
      oversize: 'fail',
    });
  const cache = new AudioCache(join(options.dataDir, 'prompts', 'url'));
  const fresh = new Map<string, { path: string; at: number }>();
  const inFlight = new Map<string, Promise<string>>();

  async function load(url: string): Promise<string> {
    let response: Response;
    try {
      response = await fetchGuarded(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof ResponseTooLarge)
        throw new MediaError(
          'PROMPT_TOO_LARGE',
          `the prompt at ${url} is larger than ${maxBytes} bytes`,
          { url },
        );
      throw new MediaError(
        'PROMPT_FETCH_FAILED',
        `the prompt at ${url} could not be fetched: ${describe(error)}`,
        { url },
        error,
      );
    }
    if (!response.ok)
      throw new MediaError(
        'PROMPT_FETCH_FAILED',
        `the prompt at ${url} answered HTTP ${response.status}`,
        {
          url,
          status: response.status,
        },
      );
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > maxBytes)
      throw new MediaError(
        'PROMPT_TOO_LARGE',
        `the prompt at ${url} is larger than ${maxBytes} bytes`,
        { url },
      );
    checkWav(bytes, url);
    const key = createHash('sha256').update(bytes).digest('hex');
    const path = await cache.get(key, async (output) => {
      const original = `${output}.orig.wav`;
      try {
        await writeFile(original, bytes);
        await toTelephoneAudio(original, output);
      } catch (error) {
        throw new MediaError(
          'PROMPT_NOT_AUDIO',
          `the prompt at ${url} could not be converted: ${describe(error)}`,
          { url },
          error,
        );
      } finally {
        await rm(original, { force: true });
      }
    });
    fresh.set(url, { path, at: Date.now() });
    return path;
  }

  return {
    fetch(url) {
      const known = fresh.get(url);
      if (known && Date.now() - known.at < refetchMs) return Promise.resolve(known.path);
      const running = inFlight.get(url);
      if (running) return running;
      const loading = load(url).finally(() => inFlight.delete(url));
      inFlight.set(url, loading);
      return loading;
    },
  };
}

/** Refuses what is not a RIFF/WAVE file with a format sox converts and telephony can use. */
export function checkWav(bytes: Buffer, url: string): void {
  const notAudio = (why: string): MediaError =>
    new MediaError('PROMPT_NOT_AUDIO', `the prompt at ${url} is not a playable WAV file: ${why}`, {
      url,
    });
  if (
    bytes.length < 44 ||
    bytes.toString('latin1', 0, 4) !== 'RIFF' ||
    bytes.toString('latin1', 8, 12) !== 'WAVE'
  )
    throw notAudio('no RIFF/WAVE header');
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (size < 16 || at + 8 + 16 > bytes.length) throw notAudio('a short fmt chunk');
      const format = bytes.readUInt16LE(at + 8);
      const channels = bytes.readUInt16LE(at + 10);
      const rate = bytes.readUInt32LE(at + 12);
      if (!FORMATS.has(format)) throw notAudio(`format tag ${format} (PCM, mu-law or A-law only)`);
      if (channels < 1 || channels > 2) throw notAudio(`${channels} channels`);
      if (rate < 8000 || rate > 96_000) throw notAudio(`a sample rate of ${rate} Hz`);
      return;
    }
    at += 8 + size + (size % 2);
  }
  throw notAudio('no fmt chunk');
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.cause instanceof Error
      ? `${error.message} (${error.cause.message})`
      : error.message;
  return String(error);
}
