// Recorded prompts fetched over HTTP: WAV in the usual encodings converted to 8 kHz mono and
// cached by content; non-WAV, oversized, failing and blocked URLs refused with their codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { MediaError, type MediaErrorCode } from './errors.ts';
import { createPromptFetcher } from './prompt-fetcher.ts';

const run = promisify(execFile);
let dataDir: string;
let server: Server;
let base: string;
const files = new Map<string, Buffer>();
const hits = new Map<string, number>();

/** A 1.5 s tone in the given sox output options. */
async function tone(name: string, ...format: string[]): Promise<void> {
  const path = join(dataDir, name);
  await run('sox', ['-n', ...format, path, 'synth', '1.5', 'sine', '440', 'gain', '-6']);
  files.set(`/${name}`, await readFile(path));
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'callflow-prompts-'));
  await tone('pcm16k.wav', '-r', '16000', '-c', '1', '-b', '16');
  await tone('stereo44k.wav', '-r', '44100', '-c', '2', '-b', '16');
  await tone('mulaw.wav', '-r', '8000', '-c', '1', '-e', 'mu-law');
  await tone('alaw.wav', '-r', '8000', '-c', '1', '-e', 'a-law');
  files.set('/page.html', Buffer.from('<html><body>not audio</body></html>'));
  files.set('/big.wav', Buffer.concat([files.get('/pcm16k.wav')!, Buffer.alloc(500_000)]));
  server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    const body = files.get(req.url ?? '');
    if (req.url === '/chunked-big.wav') {
      // No Content-Length: the limit must hold while reading.
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.write(files.get('/pcm16k.wav'));
      res.end(Buffer.alloc(500_000));
      return;
    }
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

const fetcher = (extra: { maxBytes?: number; refetchSeconds?: number } = {}) =>
  createPromptFetcher({
    dataDir: join(dataDir, 'cache'),
    outboundPolicy: { allowPrivateAddresses: true },
    maxBytes: 400_000,
    ...extra,
  });

async function info(path: string): Promise<string> {
  const field = async (flag: string) => (await run('sox', ['--i', flag, path])).stdout.trim();
  return `${await field('-r')} Hz, ${await field('-c')} ch, ${await field('-e')}, ${Number(await field('-D')).toFixed(1)} s`;
}

test('PCM at 16 and 44.1 kHz, stereo, mu-law and A-law WAVs become 8 kHz mono A-law', async () => {
  const prompts = fetcher();
  for (const name of ['pcm16k.wav', 'stereo44k.wav', 'mulaw.wav', 'alaw.wav']) {
    const path = await prompts.fetch(`${base}/${name}`);
    assert.equal(await info(path), '8000 Hz, 1 ch, A-law, 1.5 s', name);
  }
});

test('a URL is fetched once while fresh, concurrent plays share the fetch, and the same bytes convert once', async () => {
  const prompts = fetcher();
  const before = hits.get('/alaw.wav') ?? 0;
  const paths = await Promise.all(
    Array.from({ length: 4 }, () => prompts.fetch(`${base}/alaw.wav`)),
  );
  assert.equal(new Set(paths).size, 1);
  assert.equal((hits.get('/alaw.wav') ?? 0) - before, 1);
  await prompts.fetch(`${base}/alaw.wav`);
  assert.equal((hits.get('/alaw.wav') ?? 0) - before, 1);

  // Fetched again once stale; the same content lands on the same cached file.
  const stale = fetcher({ refetchSeconds: 0 });
  const first = await stale.fetch(`${base}/alaw.wav`);
  const second = await stale.fetch(`${base}/alaw.wav`);
  assert.equal(first, second);
  assert.equal((hits.get('/alaw.wav') ?? 0) - before, 3);
});

const refusedWith = (code: MediaErrorCode, pattern?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof MediaError, String(error));
  assert.equal(error.code, code);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

test('what is not a playable WAV is refused with a code that says why', async () => {
  const prompts = fetcher();
  await assert.rejects(prompts.fetch(`${base}/page.html`), refusedWith('PROMPT_NOT_AUDIO', /RIFF/));
  await assert.rejects(prompts.fetch(`${base}/big.wav`), refusedWith('PROMPT_TOO_LARGE'));
  await assert.rejects(prompts.fetch(`${base}/chunked-big.wav`), refusedWith('PROMPT_TOO_LARGE'));
  await assert.rejects(
    prompts.fetch(`${base}/missing.wav`),
    refusedWith('PROMPT_FETCH_FAILED', /HTTP 404/),
  );
  await assert.rejects(
    prompts.fetch('ftp://example.com/a.wav'),
    refusedWith('PROMPT_FETCH_FAILED'),
  );
  // A port nobody listens on.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(
    prompts.fetch(`http://127.0.0.1:${port}/a.wav`),
    refusedWith('PROMPT_FETCH_FAILED'),
  );
});

test('the outbound guard applies: loopback is refused unless the deployment allows private addresses', async () => {
  const guarded = createPromptFetcher({ dataDir: join(dataDir, 'guarded'), outboundPolicy: {} });
  const before = hits.get('/alaw.wav') ?? 0;
  await assert.rejects(guarded.fetch(`${base}/alaw.wav`), refusedWith('PROMPT_FETCH_FAILED'));
  assert.equal(hits.get('/alaw.wav') ?? 0, before, 'no request reached the server');
});
