/** hangup: ends the call. It has no exits. */

import { Type } from 'typebox';
import type { AppletDefinition } from '../types.ts';

const configSchema = Type.Object({}, { additionalProperties: false });

export const hangup: AppletDefinition<typeof configSchema> = {
  type: 'hangup',
  version: 1,
  title: 'Hangup',
  description: 'Ends the call.',
  configSchema,
  defaultConfig: {},
  exits: () => [],
  needsCaller: true,
  async run(ctx) {
    await ctx.telephony.hangup();
    return null;
  },
};
