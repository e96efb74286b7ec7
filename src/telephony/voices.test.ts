import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VOICES } from './media/tts.ts';
import { VOICE_NAMES } from './voices.ts';

test('the voices a flow may name are the voices the text-to-speech engine speaks', () => {
  assert.deepEqual([...VOICE_NAMES].sort(), Object.keys(VOICES).sort());
});

test('a greeting speaks in its own voice', async () => {
  const { simulateCall } = await import('../flows/simulate.ts');
  const run = simulateCall({
    flow: {
      name: 'Hindi greeting',
      start: 'hello',
      applets: {
        hello: { type: 'greeting', config: { text: 'नमस्ते', voice: 'hi' }, next: {} },
      },
    } as never,
    script: { from: '+919876543210', to: '+918045678900' },
    sendSms: () => {
      throw new Error('no SMS in this flow');
    },
    fetchGuarded: () => {
      throw new Error('no fetch in this flow');
    },
  });
  const log = await run.done;
  assert.equal(log.endReason, 'end-of-flow');
  assert.deepEqual(run.call.events[0]?.detail, { text: 'नमस्ते', voice: 'hi' });
});
