// Text-to-speech with the real espeak-ng and sox: 8 kHz mono A-law files, rendered once per
// (text, voice), concurrent requests sharing one render, failures as TTS_FAILED.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { MediaError } from './errors.ts';
import { createTextToSpeech } from './tts.ts';

const run = promisify(execFile);
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'callflow-tts-'));
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function soxInfo(
  path: string,
): Promise<{ rate: number; channels: number; seconds: number; bits: number }> {
  const field = async (flag: string) => (await run('sox', ['--i', flag, path])).stdout.trim();
  return {
    rate: Number(await field('-r')),
    channels: Number(await field('-c')),
    seconds: Number(await field('-D')),
    bits: Number.parseInt(await field('-b'), 10),
  };
}

async function rms(path: string): Promise<number> {
  const { stderr } = await run('sox', [path, '-n', 'stat']);
  return Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(stderr)?.[1]);
}

test('renders English for India and Hindi as 8 kHz mono A-law speech of a plausible length', async () => {
  const tts = createTextToSpeech({ dataDir });
  const english = await tts.render('Thank you for calling Acme. Your order has shipped.', 'en-in');
  const info = await soxInfo(english);
  assert.deepEqual(
    { rate: info.rate, channels: info.channels, bits: info.bits },
    { rate: 8000, channels: 1, bits: 8 },
  );
  assert.ok(info.seconds > 2 && info.seconds < 8, `${info.seconds} s`);
  assert.ok((await rms(english)) > 0.02, 'not silent');

  const hindi = await tts.render('नमस्ते, कॉल करने के लिए धन्यवाद', 'hi');
  assert.notEqual(hindi, english);
  const hindiInfo = await soxInfo(hindi);
  assert.equal(hindiInfo.rate, 8000);
  assert.ok(hindiInfo.seconds > 1, `${hindiInfo.seconds} s`);
});

test('a prompt is rendered once: the same (text, voice) is the same file, concurrent requests share one render', async () => {
  const counter = join(dataDir, 'renders.log');
  const wrapper = join(dataDir, 'espeak-counting');
  await writeFile(wrapper, `#!/bin/sh\necho render >> '${counter}'\nexec espeak-ng "$@"\n`);
  await chmod(wrapper, 0o755);
  const tts = createTextToSpeech({ dataDir: join(dataDir, 'counted'), binary: wrapper });
  const paths = await Promise.all(
    Array.from({ length: 5 }, () => tts.render('Press one for sales.', 'en-in')),
  );
  assert.equal(new Set(paths).size, 1);
  const renders = async () => (await readFile(counter, 'utf8')).trim().split('\n').length;
  assert.equal(await renders(), 1);
  const firstWrite = (await stat(paths[0]!)).mtimeMs;

  // A new instance over the same DATA_DIR (a restart) finds the file on disk.
  const again = await createTextToSpeech({
    dataDir: join(dataDir, 'counted'),
    binary: wrapper,
  }).render('Press one for sales.', 'en-in');
  assert.equal(again, paths[0]);
  assert.equal((await stat(again)).mtimeMs, firstWrite);
  assert.equal(await renders(), 1);

  // Another voice is another prompt.
  const tamil = await tts.render('Press one for sales.', 'ta');
  assert.notEqual(tamil, paths[0]);
  assert.equal(await renders(), 2);
  // No temporary files are left behind.
  const files = await readdir(join(dataDir, 'counted', 'prompts', 'tts'));
  assert.deepEqual(
    files.filter((f) => !/^[0-9a-f]{64}\.au$/.test(f)),
    [],
  );
});

test('engine failures and bad requests reject with TTS_FAILED and leave nothing in the cache', async () => {
  const failing = join(dataDir, 'espeak-failing');
  await writeFile(failing, '#!/bin/sh\necho "engine broke" >&2\nexit 3\n');
  await chmod(failing, 0o755);
  const isTtsFailed = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof MediaError);
    assert.equal(error.code, 'TTS_FAILED');
    assert.match(error.message, pattern);
    return true;
  };
  const broken = createTextToSpeech({ dataDir: join(dataDir, 'broken'), binary: failing });
  await assert.rejects(broken.render('Hello', 'en-in'), isTtsFailed(/engine broke/));
  const missing = createTextToSpeech({
    dataDir: join(dataDir, 'broken'),
    binary: join(dataDir, 'none'),
  });
  await assert.rejects(missing.render('Hello', 'en-in'), isTtsFailed(/could not be started/));
  const tts = createTextToSpeech({ dataDir: join(dataDir, 'broken') });
  await assert.rejects(tts.render('Hello', 'klingon'), isTtsFailed(/unknown voice/));
  await assert.rejects(tts.render('   ', 'en-in'), isTtsFailed(/empty/));
  await assert.rejects(tts.render('a'.repeat(4001), 'en-in'), isTtsFailed(/longer than/));
  const left = await readdir(join(dataDir, 'broken', 'prompts', 'tts')).catch(() => []);
  assert.deepEqual(left, []);
});

test('text that looks like options is spoken, not obeyed', async () => {
  const tts = createTextToSpeech({ dataDir });
  const path = await tts.render('--help -w /tmp/owned.wav', 'en-in');
  assert.equal((await soxInfo(path)).rate, 8000);
  await assert.rejects(stat('/tmp/owned.wav'));
});
