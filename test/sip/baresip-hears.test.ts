/**
 * What a caller hears, checked by a second, independent SIP phone: Debian's baresip, headless,
 * calls the demo ExoPhone with a silent WAV as its microphone and dumps what it decodes to a WAV
 * (the sndfile module). The recording is not silent and lasts about as long as the greeting's
 * rendered audio.
 */

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type CallflowUnderTest, DEMO_NUMBER, freeUdpPort, startCallflow } from './helpers.ts';

const run = promisify(execFile);
const GREETING = 'Thanks for calling Acme Corp. Connecting you to an agent.';

let callflow: CallflowUnderTest;
before(async () => {
  callflow = await startCallflow();
});
after(() => callflow?.stop());

async function soxDuration(path: string): Promise<number> {
  return Number((await run('sox', ['--i', '-D', path])).stdout);
}

async function rmsAmplitude(path: string): Promise<number> {
  const { stderr } = await run('sox', [path, '-n', 'stat']);
  return Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN);
}

test('baresip calling the missed-call flow records the greeting: audible, as long as the prompt', async () => {
  const media = callflow.server.sip!.media;
  assert.equal(media.state.running, true, media.state.reason);
  const dir = mkdtempSync(join(tmpdir(), 'callflow-baresip-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const recordings = join(dir, 'heard');
  mkdirSync(recordings);
  await run('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    join(dir, 'microphone.wav'),
    'trim',
    '0',
    '20',
  ]);
  // baresip also opens TCP and TLS listeners beside its SIP port; a port taken between our probe
  // and its bind is another process's, not a fault of the call: such a start is made again.
  let output = '';
  for (let start = 1; start <= 3; start++) {
    output = await ringWithBaresip(dir, recordings);
    if (!/Address already in use/.test(output) || /Call established/.test(output)) break;
  }
  assert.match(output, /Call established/, output.slice(-2000));
  assert.match(output, /terminated/, 'callflow ended the call after the flow');

  const decoded = readdirSync(recordings).find((f) => f.endsWith('-dec.wav'));
  assert.ok(decoded, `no recording of what baresip heard: ${readdirSync(recordings).join(', ')}`);
  const heard = join(recordings, decoded);
  const prompt = await media.tts.render(GREETING, 'en-in');
  const heardSeconds = await soxDuration(heard);
  const promptSeconds = await soxDuration(prompt);
  assert.ok(
    Math.abs(heardSeconds - promptSeconds) < 0.75,
    `heard ${heardSeconds} s of a ${promptSeconds} s greeting`,
  );
  const loudness = await rmsAmplitude(heard);
  assert.ok(loudness > 0.02, `RMS amplitude of what baresip heard: ${loudness}`);
  // For scale: the silence baresip sent is silent by the same measure.
  assert.ok((await rmsAmplitude(join(dir, 'microphone.wav'))) < 0.001);
});

/** Starts baresip with fresh ports, lets it call the demo ExoPhone, and returns what it printed. */
async function ringWithBaresip(dir: string, recordings: string): Promise<string> {
  const sipPort = await freeUdpPort();
  const rtpPort = await freeUdpPort(true);
  writeFileSync(
    join(dir, 'config'),
    [
      `sip_listen 127.0.0.1:${sipPort}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      'module_tmp account.so',
      'module_app menu.so',
      `audio_source aufile,${join(dir, 'microphone.wav')}`,
      // Played nowhere: the sndfile filter has already written what was decoded.
      'audio_player aubridge,heard',
      'audio_alert aubridge,heard',
      'ausrc_srate 8000',
      'auplay_srate 8000',
      `snd_path ${recordings}`,
      `rtp_ports ${rtpPort}-${rtpPort + 1}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), '<sip:softphone@127.0.0.1>;regint=0;audio_codecs=PCMA\n');

  const phone = spawn(
    'baresip',
    ['-f', dir, '-e', `/dial sip:${DEMO_NUMBER}@127.0.0.1:${callflow.sipPort}`, '-t', '40'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ended = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/terminated \(duration/.test(output)) resolve();
    };
    phone.stdout.on('data', onData);
    phone.stderr.on('data', onData);
    phone.once('exit', () => resolve());
  });
  const exited = new Promise((resolve) => phone.once('exit', resolve));
  await ended;
  if (phone.exitCode === null) phone.kill('SIGTERM');
  await exited;
  return output;
}
