import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from './clock.ts';
import { SimulatedCall } from './simulator.ts';
import { CallEnded, CallerHangup } from './types.ts';

const START = '2024-01-15T05:00:00.000Z';
const call = (script: Partial<ConstructorParameters<typeof SimulatedCall>[0]> = {}) =>
  new SimulatedCall({ from: '+919876543210', to: '+914412345678', startAt: START, ...script });
const seconds = (sim: SimulatedCall) => sim.elapsedMs() / 1000;

describe('virtual clock', () => {
  test('sleep jumps forward without waiting in real time', async () => {
    const clock = new VirtualClock(new Date(START));
    const real = Date.now();
    await clock.sleep(3_600_000);
    assert.equal(clock.now().toISOString(), '2024-01-15T06:00:00.000Z');
    assert.ok(Date.now() - real < 1000);
  });

  test('sleep rejects when its signal is already aborted', async () => {
    const clock = new VirtualClock(new Date(START));
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await assert.rejects(clock.sleep(10, controller.signal), /gone/);
    assert.equal(clock.now().toISOString(), START);
  });
});

describe('simulated call', () => {
  test('speech takes time in proportion to its length, at least a second', async () => {
    const sim = call();
    await sim.say('Hi');
    assert.equal(seconds(sim), 1);
    await sim.say('x'.repeat(150));
    assert.equal(seconds(sim), 11);
    await sim.play('https://example.com/a.mp3');
    assert.equal(seconds(sim), 16);
    assert.deepEqual(
      sim.events.map((e) => e.kind),
      ['say', 'say', 'play'],
    );
  });

  test('a key string is consumed by successive collections', async () => {
    const sim = call({ digits: '21234#' });
    const menu = await sim.collectDigits({ maxDigits: 1, timeoutSeconds: 5 });
    assert.deepEqual(menu, { digits: '2', endedBy: 'max-digits' });
    const gather = await sim.collectDigits({ maxDigits: 10, timeoutSeconds: 5, finishOnKey: '#' });
    assert.deepEqual(gather, { digits: '1234', endedBy: 'finish-key' });
    // Six keys half a second apart.
    assert.equal(seconds(sim), 3);
    const none = await sim.collectDigits({ maxDigits: 1, timeoutSeconds: 5 });
    assert.deepEqual(none, { digits: '', endedBy: 'timeout' });
    assert.equal(seconds(sim), 8);
  });

  test('a timed key arrives at its time, or is left for later when the collection times out first', async () => {
    const sim = call({ digits: [{ at: 12, keys: '7' }] });
    assert.deepEqual(await sim.collectDigits({ maxDigits: 1, timeoutSeconds: 5 }), {
      digits: '',
      endedBy: 'timeout',
    });
    assert.equal(seconds(sim), 5);
    assert.deepEqual(await sim.collectDigits({ maxDigits: 1, timeoutSeconds: 10 }), {
      digits: '7',
      endedBy: 'max-digits',
    });
    assert.equal(seconds(sim), 12);
  });

  test('a timed key pressed during a prompt is buffered', async () => {
    const sim = call({ digits: [{ at: 0.5, keys: '3' }] });
    await sim.say('Press 3 for the sales team, please.');
    const t = seconds(sim);
    assert.deepEqual(await sim.collectDigits({ maxDigits: 1, timeoutSeconds: 5 }), {
      digits: '3',
      endedBy: 'max-digits',
    });
    assert.equal(seconds(sim), t);
  });

  test('sequential dial: busy, then no answer, then an answer after 4 s and 60 s of talk', async () => {
    const sim = call({
      agents: {
        '+919800000001': { behaviour: 'busy' },
        '+919800000002': { behaviour: 'no-answer' },
        '+919800000003': { behaviour: 'answer', answerAfterSeconds: 4, talkSeconds: 60 },
      },
    });
    const result = await sim.dial(['+919800000001', '+919800000002', '+919800000003'], {
      mode: 'sequential',
      ringSeconds: 20,
    });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.answeredBy, '+919800000003');
    assert.equal(result.talkSeconds, 60);
    assert.deepEqual(
      result.attempts.map((a) => [a.number, a.outcome, a.ringSeconds]),
      [
        ['+919800000001', 'busy', 0],
        ['+919800000002', 'no-answer', 20],
        ['+919800000003', 'completed', 4],
      ],
    );
    assert.equal(seconds(sim), 2 + 20 + 4 + 60);
  });

  test('an agent answering after the ring timeout is a no-answer', async () => {
    const sim = call({ defaultAgent: { behaviour: 'answer', answerAfterSeconds: 25 } });
    const result = await sim.dial(['+919800000001'], { mode: 'sequential', ringSeconds: 20 });
    assert.equal(result.outcome, 'no-answer');
    assert.equal(seconds(sim), 20);
  });

  test('nobody answering: no-answer wins over busy, busy over failed', async () => {
    const busyAndFailed = call({
      agents: { '+919800000001': { behaviour: 'busy' }, '+919800000002': { behaviour: 'fail' } },
    });
    const r1 = await busyAndFailed.dial(['+919800000001', '+919800000002'], {
      mode: 'sequential',
      ringSeconds: 20,
    });
    assert.equal(r1.outcome, 'busy');
    const failed = call({ defaultAgent: { behaviour: 'fail' } });
    assert.equal(
      (await failed.dial(['+919800000001'], { mode: 'sequential', ringSeconds: 20 })).outcome,
      'failed',
    );
  });

  test('simultaneous dial: the first to answer wins', async () => {
    const sim = call({
      agents: {
        '+919800000001': { behaviour: 'answer', answerAfterSeconds: 8, talkSeconds: 10 },
        '+919800000002': { behaviour: 'answer', answerAfterSeconds: 3, talkSeconds: 45 },
        '+919800000003': { behaviour: 'busy' },
      },
    });
    const result = await sim.dial(['+919800000001', '+919800000002', '+919800000003'], {
      mode: 'simultaneous',
      ringSeconds: 20,
    });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.answeredBy, '+919800000002');
    assert.equal(result.talkSeconds, 45);
    assert.deepEqual(
      result.attempts.map((a) => a.outcome),
      ['no-answer', 'completed', 'busy'],
    );
    assert.equal(seconds(sim), 48);
  });

  test('simultaneous dial with nobody answering rings for the full timeout', async () => {
    const sim = call({ defaultAgent: { behaviour: 'no-answer' } });
    const result = await sim.dial(['+919800000001', '+919800000002'], {
      mode: 'simultaneous',
      ringSeconds: 15,
    });
    assert.equal(result.outcome, 'no-answer');
    assert.equal(seconds(sim), 15);
  });

  test('the caller hangs up in the middle of an operation, at the scripted second', async () => {
    const sim = call({ hangupAfterSeconds: 3 });
    await sim.say('Hello');
    await assert.rejects(sim.say('x'.repeat(60)), CallerHangup);
    assert.equal(seconds(sim), 3);
    assert.equal(sim.hangupSignal.aborted, true);
    await assert.rejects(sim.say('anyone?'), CallerHangup);
    await assert.rejects(
      sim.collectDigits({ maxDigits: 1, timeoutSeconds: 5, finishOnKey: '' }),
      CallerHangup,
    );
    assert.deepEqual(
      sim.events.map((e) => e.kind),
      ['say', 'say', 'caller-hangup'],
    );
  });

  test('a hang-up during the conversation ends the dial as completed, talk time up to the hang-up', async () => {
    const sim = call({
      hangupAfterSeconds: 10,
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 2, talkSeconds: 60 },
    });
    await sim.say('Hello');
    const result = await sim.dial(['+919800000001'], { mode: 'sequential', ringSeconds: 20 });
    assert.deepEqual(result, {
      outcome: 'completed',
      answeredBy: '+919800000001',
      // 1 s of greeting, 2 s of ringing: they talked from second 3 to second 10.
      talkSeconds: 7,
      attempts: [{ number: '+919800000001', outcome: 'completed', ringSeconds: 2 }],
      callerHungUp: true,
    });
    assert.equal(seconds(sim), 10);
    assert.equal(sim.hangupSignal.aborted, true);
    await assert.rejects(sim.say('anyone?'), CallerHangup);
    await assert.rejects(sim.dial(['+919800000001'], { mode: 'sequential', ringSeconds: 20 }));
    assert.deepEqual(
      sim.events.map((e) => e.kind),
      ['say', 'dial', 'caller-hangup'],
    );
  });

  test('a hang-up while the agents ring ends the dial as no-answer; the ringing number is canceled', async () => {
    const sim = call({
      hangupAfterSeconds: 12,
      agents: { '+919800000001': { behaviour: 'busy' } },
      defaultAgent: { behaviour: 'no-answer' },
    });
    const result = await sim.dial(['+919800000001', '+919800000002', '+919800000003'], {
      mode: 'sequential',
      ringSeconds: 20,
    });
    assert.deepEqual(result, {
      outcome: 'no-answer',
      attempts: [
        { number: '+919800000001', outcome: 'busy', ringSeconds: 0 },
        // Busy after 2 s; the second number rang 10 s before the caller gave up.
        { number: '+919800000002', outcome: 'canceled', ringSeconds: 10 },
      ],
      callerHungUp: true,
    });
    assert.equal(seconds(sim), 12);
  });

  test('a hang-up during a simultaneous dial cancels every number still ringing', async () => {
    const sim = call({
      hangupAfterSeconds: 4,
      agents: {
        '+919800000001': { behaviour: 'answer', answerAfterSeconds: 8 },
        '+919800000002': { behaviour: 'fail' },
      },
      defaultAgent: { behaviour: 'no-answer' },
    });
    const result = await sim.dial(['+919800000001', '+919800000002', '+919800000003'], {
      mode: 'simultaneous',
      ringSeconds: 20,
    });
    assert.equal(result.outcome, 'no-answer');
    assert.equal(result.callerHungUp, true);
    assert.deepEqual(
      result.attempts.map((a) => [a.number, a.outcome, a.ringSeconds]),
      [
        ['+919800000001', 'canceled', 4],
        ['+919800000002', 'failed', 0],
        ['+919800000003', 'canceled', 4],
      ],
    );
    const talking = call({
      hangupAfterSeconds: 10,
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 4, talkSeconds: 30 },
    });
    const answered = await talking.dial(['+919800000001', '+919800000002'], {
      mode: 'simultaneous',
      ringSeconds: 20,
    });
    assert.equal(answered.outcome, 'completed');
    assert.equal(answered.talkSeconds, 6);
    assert.equal(answered.callerHungUp, true);
  });

  test('on the real clock a hang-up during the conversation still completes the dial', async () => {
    const sim = new SimulatedCall(
      {
        from: '+919876543210',
        to: '+914412345678',
        hangupAfterSeconds: 0.15,
        defaultAgent: { behaviour: 'answer', answerAfterSeconds: 0.05, talkSeconds: 30 },
      },
      { realTime: true },
    );
    const result = await sim.dial(['+919800000001'], { mode: 'sequential', ringSeconds: 20 });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.callerHungUp, true);
    assert.ok(
      result.talkSeconds! >= 0.08 && result.talkSeconds! < 2,
      `talked ${result.talkSeconds} s`,
    );
    await sim.hangup();
  });

  test('hangupAfterApplet hangs up when that applet is left', () => {
    const sim = call({ hangupAfterApplet: 'sms1' });
    sim.appletLeft('greet');
    assert.equal(sim.hangupSignal.aborted, false);
    sim.appletLeft('sms1');
    assert.equal(sim.hangupSignal.aborted, true);
  });

  test('after our hang-up operations are refused and the caller can no longer hang up', async () => {
    const sim = call();
    await sim.hangup();
    await sim.hangup();
    await assert.rejects(sim.say('x'), CallEnded);
    sim.callerHangsUp();
    assert.equal(sim.hangupSignal.aborted, false);
    assert.deepEqual(
      sim.events.map((e) => e.kind),
      ['hangup'],
    );
  });

  test('on the real clock the hang-up fires by itself and interrupts a wait', async () => {
    const sim = new SimulatedCall(
      { from: '+919876543210', to: '+914412345678', hangupAfterSeconds: 0.05, audioSeconds: 5 },
      { realTime: true },
    );
    const started = Date.now();
    await assert.rejects(sim.play('https://example.com/long.mp3'), CallerHangup);
    const took = Date.now() - started;
    assert.ok(took >= 40 && took < 2000, `took ${took} ms`);
    await sim.hangup();
  });
});
