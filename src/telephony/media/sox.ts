/**
 * sox: converts prompts to what rtpengine plays best, 8 kHz mono G.711 A-law in a Sun/NeXT `.au`
 * file. rtpengine 10.5's player paces 16-bit PCM WAV in bursts (packets 10 ms apart, then ~100 ms
 * gaps: 96 ms p99 inter-packet jitter for a single call), while G.711 in `.au` goes out every
 * 20 ms. A-law is what India's network carries, so a PCMA call gets the samples unchanged.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The extension of converted prompts. */
export const PROMPT_EXTENSION = 'au';

/** Converts `input` (any audio file sox reads) to 8 kHz mono A-law `.au` in `output`. */
export async function toTelephoneAudio(input: string, output: string): Promise<void> {
  await run('sox', ['-V1', input, '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'au', output], {
    timeout: 30_000,
  });
}
