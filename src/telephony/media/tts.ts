/**
 * Text-to-speech with espeak-ng: each (text, voice) is rendered once, converted to 8 kHz with
 * sox (A-law `.au`, see sox.ts) and kept in the audio cache under DATA_DIR; the next call with the same prompt plays the
 * file straight away. The text reaches espeak-ng on its standard input, never as an argument.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AudioCache } from './audio-cache.ts';
import { MediaError } from './errors.ts';
import { toTelephoneAudio } from './sox.ts';

export interface TextToSpeech {
  /** The path of a cached 8 kHz mono A-law `.au` file of `text` spoken in `voice`. */
  render(text: string, voice: string): Promise<string>;
}

/**
 * Voices a flow may name, and the espeak-ng voice that speaks each. espeak-ng has no English
 * voice for India; `en-in` uses its British English, the closest in spelling and rhythm.
 */
export const VOICES = {
  'en-in': 'en-gb',
  'en-gb': 'en-gb',
  'en-us': 'en-us',
  hi: 'hi',
  bn: 'bn',
  gu: 'gu',
  kn: 'kn',
  ml: 'ml',
  mr: 'mr',
  ta: 'ta',
  te: 'te',
  pa: 'pa',
  ur: 'ur',
  or: 'or',
  as: 'as',
} as const;

export type Voice = keyof typeof VOICES;
export const DEFAULT_VOICE: Voice = 'en-in';

/** Longer text is refused: a prompt is a sentence or a few, not a document. */
const MAX_TEXT_LENGTH = 4000;
const RENDER_TIMEOUT_MS = 30_000;

export interface TextToSpeechOptions {
  /** DATA_DIR; prompts are cached under `<dataDir>/prompts/tts`. */
  dataDir: string;
  /** The espeak-ng executable; default from PATH. */
  binary?: string;
}

export function createTextToSpeech(options: TextToSpeechOptions): TextToSpeech {
  const cache = new AudioCache(join(options.dataDir, 'prompts', 'tts'));
  const binary = options.binary ?? 'espeak-ng';
  return {
    async render(text, voice) {
      const espeakVoice = Object.hasOwn(VOICES, voice) ? VOICES[voice as Voice] : undefined;
      if (!espeakVoice) throw new MediaError('TTS_FAILED', `unknown voice "${voice}"`, { voice });
      const spoken = text.trim();
      if (!spoken) throw new MediaError('TTS_FAILED', 'nothing to say: the text is empty');
      if (spoken.length > MAX_TEXT_LENGTH)
        throw new MediaError('TTS_FAILED', `the text is longer than ${MAX_TEXT_LENGTH} characters`);
      const key = createHash('sha256').update(`espeak-ng\0${espeakVoice}\0${spoken}`).digest('hex');
      return cache.get(key, async (path) => {
        const raw = `${path}.raw.wav`;
        try {
          await speak(binary, espeakVoice, spoken, raw);
          await toTelephoneAudio(raw, path);
        } catch (error) {
          if (error instanceof MediaError) throw error;
          throw new MediaError(
            'TTS_FAILED',
            `text-to-speech failed: ${describe(error)}`,
            { voice },
            error,
          );
        } finally {
          await rm(raw, { force: true });
        }
      });
    },
  };
}

function speak(binary: string, voice: string, text: string, output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-v', voice, '--stdin', '-w', output], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RENDER_TIMEOUT_MS);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new MediaError(
          'TTS_FAILED',
          `${binary} could not be started: ${error.message}`,
          undefined,
          error,
        ),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new MediaError(
            'TTS_FAILED',
            `${binary} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`,
          ),
        );
    });
    child.stdin.on('error', () => {}); // reported by 'close'
    child.stdin.end(text);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
