/**
 * The ringback tone a caller hears while Connect rings the agents: India's, 400 Hz modulated by
 * 25 Hz, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off (one 3 s cadence, played in a loop). Written once
 * as an 8 kHz 16-bit WAV under DATA_DIR/prompts.
 */

import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const RATE = 8000;
/** On and off periods of one cadence, seconds. */
const CADENCE: [on: boolean, seconds: number][] = [
  [true, 0.4],
  [false, 0.2],
  [true, 0.4],
  [false, 2],
];
const AMPLITUDE = 0.35 * 32767;

/** The path of the ringback WAV, written on first use. */
export async function ringbackFile(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'prompts');
  const file = join(dir, 'ringback-in.wav');
  try {
    await stat(file);
    return file;
  } catch {
    // not written yet
  }
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, ringbackWav());
  await rename(temp, file);
  return file;
}

export function ringbackWav(): Buffer {
  const samples: number[] = [];
  for (const [on, seconds] of CADENCE) {
    const n = Math.round(seconds * RATE);
    for (let i = 0; i < n; i++) {
      const t = i / RATE;
      samples.push(
        on
          ? Math.round(
              AMPLITUDE *
                Math.sin(2 * Math.PI * 400 * t) *
                (0.5 + 0.5 * Math.sin(2 * Math.PI * 25 * t)),
            )
          : 0,
      );
    }
  }
  const data = Buffer.alloc(samples.length * 2);
  for (const [i, s] of samples.entries()) data.writeInt16LE(s, i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
