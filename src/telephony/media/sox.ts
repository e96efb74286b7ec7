/** sox: converts audio to what rtpengine plays without resampling, 8 kHz mono 16-bit PCM WAV. */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Converts `input` (any WAV sox reads) to 8 kHz mono 16-bit PCM in `output`. */
export async function toTelephoneWav(input: string, output: string): Promise<void> {
  await run(
    'sox',
    [
      '-V1',
      input,
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      '-e',
      'signed-integer',
      '-t',
      'wav',
      output,
    ],
    {
      timeout: 30_000,
    },
  );
}
