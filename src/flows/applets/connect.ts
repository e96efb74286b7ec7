/**
 * connect: dials agent numbers, one after another or all at once, each ringing `ringSeconds`.
 * Exits `completed` after the conversation ends, or `no-answer`, `busy`, `failed` when nobody
 * answered. Logs who answered and how long they talked; Passthru reports it as DialCallDuration.
 *
 * The caller hanging up is one of the ways a Connect ends, not an interruption: during the
 * conversation it takes `completed` (the talk time runs to the hang-up), while the agents still
 * ring it takes `no-answer` (a missed call). Exotel's "After the call conversation ends" and "If
 * nobody answers" branches behave so, and the guide's post-call confirmation and missed-call
 * alert depend on it. The log marks it `callerHungUp: true`.
 */

import { Type } from 'typebox';
import type { AppletDefinition } from '../types.ts';

/**
 * An agent: an E.164 number, a SIP URI without user-supplied headers (`sip:user@host[:port]`,
 * optional `;transport=udp|tcp`) or `user:` and a softphone username.
 */
export const AGENT_PATTERN =
  '^(\\+[1-9][0-9]{6,14}|sip:[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?(;transport=(udp|tcp))?|user:[A-Za-z0-9._+-]{1,100})$';

const configSchema = Type.Object(
  {
    /**
     * Agents, dialled in this order: E.164 numbers (through a trunk on real calls), SIP URIs
     * (`sip:alice@10.0.0.5`) or registered softphone users (`user:alice`).
     */
    numbers: Type.Array(Type.String({ pattern: AGENT_PATTERN, maxLength: 256 }), {
      minItems: 1,
      maxItems: 20,
      title: 'Numbers',
      description:
        'A number in E.164 (+919812345678), a SIP URI (sip:alice@10.0.0.5) or a registered softphone user (user:alice).',
    }),
    /** `sequential` (default): one after another; `simultaneous`: all at once, first to answer wins. */
    mode: Type.Optional(Type.Union([Type.Literal('sequential'), Type.Literal('simultaneous')])),
    /** How long each number rings, seconds. Default 30. */
    ringSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 120, default: 30 })),
    /** Real calls: the trunk (`sip.trunks[].name`) for the numbers; default `sip.outboundTrunk`. */
    trunk: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 60,
        title: 'Trunk',
        description: 'Real calls: the SIP trunk numbers go out through; empty: the default one.',
      }),
    ),
    /** Real calls: record the conversation (a WAV of both sides; RecordingUrl). */
    record: Type.Optional(
      Type.Boolean({ title: 'Record', description: 'Real calls: record the conversation.' }),
    ),
  },
  { additionalProperties: false },
);

export const connect: AppletDefinition<typeof configSchema> = {
  type: 'connect',
  version: 1,
  title: 'Connect',
  description: 'Connects the caller to agents; the exit says whether anyone answered.',
  configSchema,
  defaultConfig: { numbers: [], mode: 'sequential', ringSeconds: 30 },
  exits: () => ['completed', 'no-answer', 'busy', 'failed'],
  needsCaller: true,
  async run(ctx, config) {
    const result = await ctx.telephony.dial(config.numbers, {
      mode: config.mode ?? 'sequential',
      ringSeconds: config.ringSeconds ?? 30,
      ...(config.trunk === undefined ? {} : { trunk: config.trunk }),
      ...(config.record ? { record: true } : {}),
    });
    const recordingUrl = result.recording
      ? `${result.recording.urlBase}/api/v1/calls/${ctx.call.callSid}/recording`
      : undefined;
    ctx.facts.dial = {
      outcome: result.outcome,
      ...(recordingUrl === undefined ? {} : { recordingUrl }),
      ...(result.answeredBy === undefined ? {} : { answeredBy: result.answeredBy }),
      ...(result.talkSeconds === undefined ? {} : { talkSeconds: result.talkSeconds }),
      ...(result.callerHungUp ? { callerHungUp: true } : {}),
    };
    ctx.detail({
      outcome: result.outcome,
      answeredBy: result.answeredBy ?? null,
      talkSeconds: result.talkSeconds ?? 0,
      attempts: result.attempts,
      ...(result.callerHungUp ? { callerHungUp: true } : {}),
      ...(result.failure ? { failure: result.failure } : {}),
      ...(result.recording
        ? {
            recording: {
              file: result.recording.file,
              seconds: result.recording.seconds,
              url: recordingUrl,
            },
          }
        : {}),
    });
    return result.outcome;
  },
};
