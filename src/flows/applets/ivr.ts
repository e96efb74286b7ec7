/**
 * ivr: a menu (one key chooses an exit) or a gather (up to N digits, ended by the finish key or a
 * timeout). Either way the keys are kept as `{Digits}`. Without valid input the prompt is played
 * again, `retries` more times, before the `timeout` or `invalid` exit is taken.
 */

import { type Static, Type } from 'typebox';
import type { AppletContext, AppletDefinition } from '../types.ts';
import { PromptSchema, playPrompt } from './prompt.ts';

const Key = Type.String({ pattern: '^[0-9*#]$' });
/** Seconds to wait for each key. Default 5. */
const TimeoutSeconds = Type.Optional(Type.Integer({ minimum: 1, maximum: 60, default: 5 }));
/** How many more times the prompt is played after a timeout or an invalid key. Default 2. */
const Retries = Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: 2 }));

const Menu = Type.Object(
  {
    mode: Type.Literal('menu'),
    prompt: PromptSchema,
    /** One exit per key, named by the key. */
    options: Type.Array(
      Type.Object(
        { digit: Key, label: Type.Optional(Type.String({ maxLength: 100 })) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 12 },
    ),
    timeoutSeconds: TimeoutSeconds,
    retries: Retries,
  },
  { additionalProperties: false },
);

const Gather = Type.Object(
  {
    mode: Type.Literal('gather'),
    prompt: PromptSchema,
    /** Collection ends after this many digits. Default 10. */
    maxDigits: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: 10 })),
    /** Ends collection early; empty for none. Default `#`. */
    finishOnKey: Type.Optional(
      Type.Union([Type.Literal('#'), Type.Literal('*'), Type.Literal('')]),
    ),
    timeoutSeconds: TimeoutSeconds,
    retries: Retries,
  },
  { additionalProperties: false },
);

const configSchema = Type.Union([Menu, Gather]);
type MenuConfig = Static<typeof Menu>;
type GatherConfig = Static<typeof Gather>;

const DEFAULT_TIMEOUT_SECONDS = 5;
const DEFAULT_RETRIES = 2;

export const ivr: AppletDefinition<typeof configSchema> = {
  type: 'ivr',
  version: 1,
  title: 'IVR',
  description: 'Plays a menu and takes the exit of the key pressed, or gathers digits as {Digits}.',
  configSchema,
  defaultConfig: {
    mode: 'menu',
    prompt: { text: 'Press 1 for sales, 2 for support.' },
    options: [{ digit: '1' }, { digit: '2' }],
  },
  exits: (config) =>
    config.mode === 'menu'
      ? [...config.options.map((o) => o.digit), 'timeout', 'invalid']
      : ['default', 'timeout'],
  needsCaller: true,
  produces: () => ['Digits'],
  run: (ctx, config) => (config.mode === 'menu' ? runMenu(ctx, config) : runGather(ctx, config)),
};

async function runMenu(ctx: AppletContext, config: MenuConfig): Promise<string> {
  const valid = new Set(config.options.map((o) => o.digit));
  const attempts = 1 + (config.retries ?? DEFAULT_RETRIES);
  let exit = 'timeout';
  let digits = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await playPrompt(ctx.telephony, config.prompt);
    const input = await ctx.telephony.collectDigits({
      maxDigits: 1,
      timeoutSeconds: config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      finishOnKey: '',
    });
    digits = input.digits;
    ctx.detail({ attempts: attempt });
    if (digits === '') exit = 'timeout';
    else if (valid.has(digits)) {
      exit = digits;
      break;
    } else exit = 'invalid';
  }
  ctx.setVariable('Digits', digits);
  ctx.facts.digits = digits;
  ctx.detail({ digits });
  return exit;
}

async function runGather(ctx: AppletContext, config: GatherConfig): Promise<string> {
  const attempts = 1 + (config.retries ?? DEFAULT_RETRIES);
  let digits = '';
  let endedBy = 'timeout';
  for (let attempt = 1; attempt <= attempts && digits === ''; attempt++) {
    await playPrompt(ctx.telephony, config.prompt);
    const input = await ctx.telephony.collectDigits({
      maxDigits: config.maxDigits ?? 10,
      timeoutSeconds: config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      finishOnKey: config.finishOnKey ?? '#',
    });
    digits = input.digits;
    endedBy = input.endedBy;
    ctx.detail({ attempts: attempt });
  }
  ctx.setVariable('Digits', digits);
  ctx.facts.digits = digits;
  ctx.detail({ digits, endedBy });
  return digits === '' ? 'timeout' : 'default';
}
