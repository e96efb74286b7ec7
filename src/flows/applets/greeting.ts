/** greeting: says a text (text-to-speech) or plays an audio file, then takes `default`. */

import type { AppletDefinition } from '../types.ts';
import { PromptSchema, playPrompt } from './prompt.ts';

const configSchema = PromptSchema;

export const greeting: AppletDefinition<typeof configSchema> = {
  type: 'greeting',
  version: 1,
  title: 'Greeting',
  description: 'Says a text or plays an audio file to the caller.',
  configSchema,
  defaultConfig: { text: 'Thank you for calling.' },
  exits: () => ['default'],
  needsCaller: true,
  // A missed-call campaign rings briefly and the caller hangs up: the SMS after it must still go.
  exitOnCallerHangup: 'default',
  async run(ctx, config) {
    await playPrompt(ctx.telephony, config);
    return 'default';
  },
};
