// The MediaEngine against a real rtpengine: offer/answer, prompts heard by a caller's socket,
// barge-in, RFC 4733 keys from sipp, deletion, the supervisor's restart, a missing binary.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { MediaError, type StartedMedia, startMedia } from '../../src/telephony/media/index.ts';
import { AnsweringSide } from './answering-side.ts';
import { eventually, mediaPort, quietLogger, RtpCaller, rtpPorts, sipSection } from './helpers.ts';

const run = promisify(execFile);

let media: StartedMedia;
let dataDir: string;
let prompt: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'callflow-media-'));
  media = await startMedia({ sip: sipSection(), dataDir, logger: quietLogger });
  assert.equal(media.state.running, true, media.state.reason);
  prompt = await media.tts.render('Thank you for calling Acme. Press one for sales.', 'en-in');
});

after(async () => {
  await media?.close();
  await rm(dataDir, { recursive: true, force: true });
});

let calls = 0;
const tags = () => {
  calls += 1;
  return {
    callId: `media-test-${process.pid}-${calls}`,
    callerTag: `caller${calls}`,
    ourTag: `us${calls}`,
  };
};

describe('offer/answer', () => {
  test("answers with the offer's first G.711 codec, its telephone-event number and 20 ms packets", async () => {
    const caller = await RtpCaller.open();
    const call = tags();
    try {
      const answer = await media.answerCaller({ ...call, offer: caller.offer('8 0 96') });
      assert.equal(answer.codec, 'PCMA');
      assert.equal(answer.remoteAddress, `127.0.0.1:${caller.port}`);
      assert.match(answer.sdp, /^m=audio \d+ RTP\/AVP 8 96\r?$/m);
      assert.match(answer.sdp, /^a=rtpmap:96 telephone-event\/8000/m);
      assert.match(answer.sdp, /^a=ptime:20/m);
      assert.match(answer.sdp, /^a=sendrecv/m);
      assert.match(answer.sdp, /^c=IN IP4 127\.0\.0\.1/m);
      assert.notEqual(mediaPort(answer.sdp), caller.port);

      const pcmu = tags();
      const second = await media.answerCaller({ ...pcmu, offer: caller.offer('0 8') });
      assert.equal(second.codec, 'PCMU');
      assert.match(second.sdp, /^m=audio \d+ RTP\/AVP 0\r?$/m);
      await media.delete(pcmu.callId);
    } finally {
      await media.delete(call.callId);
      caller.close();
    }
  });

  test('an offer without G.711 is refused with NO_COMMON_CODEC and leaves no session', async () => {
    const call = tags();
    const offer =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n';
    await assert.rejects(media.answerCaller({ ...call, offer }), (error: unknown) => {
      assert.ok(error instanceof MediaError);
      assert.equal(error.code, 'NO_COMMON_CODEC');
      return true;
    });
    assert.ok(!(await media.sessions()).includes(call.callId));
  });

  test('a re-INVITE for hold answers recvonly and keeps the codec', async () => {
    const caller = await RtpCaller.open();
    const call = tags();
    try {
      await media.answerCaller({ ...call, offer: caller.offer('0 8 96') });
      const held = await media.reoffer({ ...call, offer: caller.offer('8 0 96', 'a=sendonly') });
      assert.match(held.sdp, /^a=recvonly/m);
      assert.match(held.sdp, /^m=audio \d+ RTP\/AVP 0 96\r?$/m);
    } finally {
      await media.delete(call.callId);
      caller.close();
    }
  });
});

describe('prompts', () => {
  test('play sends the prompt as audible RTP to the caller for as long as it lasts', async () => {
    const caller = await RtpCaller.open();
    const call = tags();
    try {
      const answer = await media.answerCaller({ ...call, offer: caller.offer() });
      const started = performance.now();
      await media.play(call, prompt);
      const playedMs = performance.now() - started;
      const { stdout } = await run('sox', ['--i', '-D', prompt]);
      const promptMs = Number(stdout) * 1000;
      assert.ok(
        Math.abs(playedMs - promptMs) < 300,
        `play took ${playedMs} ms for ${promptMs} ms of audio`,
      );
      await eventually(
        () => caller.received.length >= (promptMs / 20) * 0.9,
        3000,
        "the prompt's packets",
      );
      // Speech has pauses between words: most packets, not all, carry sound.
      assert.ok(
        caller.audible() >= caller.received.length * 0.5,
        `${caller.audible()} audible packets`,
      );
      assert.ok(
        caller.received.every((p) => p.payloadType === 8),
        'PCMA, as answered',
      );
      assert.ok(mediaPort(answer.sdp) > 0);
    } finally {
      await media.delete(call.callId);
      caller.close();
    }
  });

  test('stop (barge-in) cuts the prompt and play resolves at once; an aborted signal does the same', async () => {
    const caller = await RtpCaller.open();
    const call = tags();
    try {
      await media.answerCaller({ ...call, offer: caller.offer() });
      const playing = media.play(call, prompt);
      await eventually(() => caller.received.length >= 10, 3000, 'the prompt to start');
      const stoppedAt = performance.now();
      await media.stop(call);
      await playing;
      assert.ok(performance.now() - stoppedAt < 500, 'play resolved on stop');
      const countAtStop = caller.received.length;
      await new Promise((r) => setTimeout(r, 600));
      assert.ok(
        caller.received.length - countAtStop <= 5,
        `${caller.received.length - countAtStop} packets after stop`,
      );

      const controller = new AbortController();
      const before = caller.received.length;
      const aborted = media.play(call, prompt, controller.signal);
      await eventually(() => caller.received.length >= before + 10, 3000, 'the second prompt');
      controller.abort();
      await aborted;
      const countAtAbort = caller.received.length;
      await new Promise((r) => setTimeout(r, 600));
      assert.ok(caller.received.length - countAtAbort <= 5, 'the aborted prompt stopped');
    } finally {
      await media.delete(call.callId);
      caller.close();
    }
  });

  test('delete leaves no session in rtpengine and stops a prompt in progress', async () => {
    const caller = await RtpCaller.open();
    const call = tags();
    await media.answerCaller({ ...call, offer: caller.offer() });
    assert.ok((await media.sessions()).includes(call.callId));
    const playing = media.play(call, prompt);
    await eventually(() => caller.received.length >= 5, 3000, 'the prompt to start');
    await media.delete(call.callId);
    await playing;
    assert.ok(!(await media.sessions()).includes(call.callId));
    caller.close();
  });
});

describe('keys', () => {
  test('RFC 4733 keys sent by sipp arrive once each, repeated keys included', async () => {
    const side = await AnsweringSide.open(media);
    const keys: string[] = [];
    const answered = side.nextCall();
    const sipp = run(
      'sipp',
      [
        `127.0.0.1:${side.port}`,
        '-sf',
        join(import.meta.dirname, 'dtmf-caller.xml'),
        '-s',
        '+918045678900',
        '-i',
        '127.0.0.1',
        '-mp',
        String(rtpPorts().min),
        '-m',
        '1',
        '-nostdin',
        '-timeout',
        '30s',
        '-timeout_error',
        '-inf',
        join(import.meta.dirname, 'dtmf-keys.csv'),
      ],
      { timeout: 40_000 },
    );
    try {
      const call = await answered;
      media.onDtmf(call.callId, (key) => keys.push(key));
      await sipp;
      assert.deepEqual(keys.join(''), '1#2*9905');
    } finally {
      side.close();
      for (const call of side.calls) await media.delete(call.callId);
    }
  });
});
