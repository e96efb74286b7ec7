// callflow's own rtpengine: restarted when it dies, stopped on close, reported (not fatal) when
// the binary is missing; a call whose media stops is reported once as a media timeout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MediaError, mediaOffMessage, startMedia } from '../../src/telephony/media/index.ts';
import { eventually, mediaPort, quietLogger, RtpCaller, sipSection } from './helpers.ts';

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'callflow-supervisor-'));
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const sip = sipSection;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a killed rtpengine is restarted and serves calls again; close stops it', async () => {
  const media = await startMedia({ sip: sip(), dataDir, logger: quietLogger });
  const supervisor = media.supervisor;
  assert.ok(supervisor);
  try {
    assert.equal(media.state.running, true, media.state.reason);
    const first = supervisor.pid;
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    await eventually(() => !media.state.running, 5000, 'the death to be noticed');
    assert.match(media.state.reason ?? '', /rtpengine exited \(SIGKILL\)/);
    await eventually(() => media.state.running && supervisor.restarts === 1, 15_000, 'the restart');
    assert.notEqual(supervisor.pid, first);

    const caller = await RtpCaller.open();
    const call = { callId: `restart-${process.pid}`, callerTag: 'a', ourTag: 'b' };
    const answer = await media.answerCaller({ ...call, offer: caller.offer() });
    assert.ok(mediaPort(answer.sdp) > 0);
    assert.deepEqual(await media.sessions(), [call.callId]);
    await media.delete(call.callId);
    caller.close();
  } finally {
    const pid = supervisor.pid;
    await media.close();
    if (pid) assert.equal(alive(pid), false, 'close stopped rtpengine');
  }
});

test('a missing rtpengine binary leaves media off with the reason and the install command', async () => {
  const media = await startMedia({
    sip: sip(),
    dataDir,
    logger: quietLogger,
    rtpengineBinary: join(dataDir, 'no-such-rtpengine'),
  });
  const caller = await RtpCaller.open();
  try {
    assert.equal(media.state.running, false);
    assert.match(media.state.reason ?? '', /not installed/);
    assert.match(mediaOffMessage(media) ?? '', /apt-get install rtpengine-daemon/);
    await assert.rejects(
      media.answerCaller({
        callId: 'x',
        callerTag: 'a',
        ourTag: 'b',
        offer: caller.offer(),
      }),
      (error: unknown) => error instanceof MediaError && error.code === 'MEDIA_UNAVAILABLE',
    );
  } finally {
    caller.close();
    await media.close();
  }
});

test('media that stops for mediaTimeoutSeconds is reported once; media that flows is not', async () => {
  const media = await startMedia({ sip: sip(5), dataDir, logger: quietLogger });
  const silent = await RtpCaller.open();
  const talking = await RtpCaller.open();
  try {
    const quiet = { callId: `timeout-${process.pid}-quiet`, callerTag: 'a', ourTag: 'b' };
    const live = { callId: `timeout-${process.pid}-live`, callerTag: 'c', ourTag: 'd' };
    const quietAnswer = await media.answerCaller({ ...quiet, offer: silent.offer() });
    const liveAnswer = await media.answerCaller({ ...live, offer: talking.offer() });
    let quietTimeouts = 0;
    let liveTimeouts = 0;
    media.onMediaTimeout(quiet.callId, () => {
      quietTimeouts += 1;
    });
    media.onMediaTimeout(live.callId, () => {
      liveTimeouts += 1;
    });
    const started = Date.now();
    // The quiet caller sends one second of audio and stops; the other talks throughout.
    await Promise.all([
      silent.sendSilence(mediaPort(quietAnswer.sdp), 50),
      talking.sendSilence(mediaPort(liveAnswer.sdp), 450),
    ]);
    assert.equal(quietTimeouts, 1);
    assert.equal(liveTimeouts, 0);
    assert.ok(Date.now() - started >= 5000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(quietTimeouts, 1, 'reported once');
    await media.delete(quiet.callId);
    await media.delete(live.callId);
  } finally {
    silent.close();
    talking.close();
    await media.close();
  }
});

test('an external rtpengine (sip.rtpengine) is used as it is, and one that does not answer is reported', async () => {
  const local = await startMedia({ sip: sip(), dataDir, logger: quietLogger });
  const ng = local.supervisor?.ng;
  assert.ok(ng);
  const external = await startMedia({
    sip: { ...sip(), rtpengine: `${ng.host}:${ng.port}` },
    dataDir,
    logger: quietLogger,
  });
  const caller = await RtpCaller.open();
  try {
    assert.equal(external.state.running, true, external.state.reason);
    assert.equal(external.supervisor, undefined, 'no second daemon');
    const call = { callId: `external-${process.pid}`, callerTag: 'a', ourTag: 'b' };
    await external.answerCaller({ ...call, offer: caller.offer() });
    assert.ok(
      (await local.sessions()).includes(call.callId),
      'the session lives in the external daemon',
    );
    await external.delete(call.callId);
    assert.ok(!(await local.sessions()).includes(call.callId));
  } finally {
    caller.close();
    await external.close();
    await local.close();
  }
  const silent = await startMedia({
    sip: { ...sip(), rtpengine: '127.0.0.1:9' },
    dataDir,
    logger: quietLogger,
  });
  try {
    assert.equal(silent.state.running, false);
    assert.match(silent.state.reason ?? '', /does not answer/);
  } finally {
    await silent.close();
  }
});

test('an rtpengine whose callflow process is killed outright does not outlive it', async () => {
  const script = `
    import { startMedia } from ${JSON.stringify(new URL('../../src/telephony/media/index.ts', import.meta.url).href)};
    import { pino } from 'pino';
    const media = await startMedia({ sip: ${JSON.stringify(sip())}, dataDir: ${JSON.stringify(dataDir)}, logger: pino({ level: 'silent' }) });
    console.log(JSON.stringify({ running: media.state.running, pid: media.supervisor?.pid }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d) => resolve(String(d))),
  );
  const { running, pid } = JSON.parse(line) as { running: boolean; pid: number };
  assert.equal(running, true);
  assert.equal(alive(pid), true);
  child.kill('SIGKILL');
  await eventually(() => !alive(pid), 5000, 'rtpengine to stop with its parent');
});
