/**
 * The script of a simulated caller: who calls which ExoPhone, which keys they press and when, how
 * each agent number behaves when dialled, and when the caller hangs up. The API's test calls take
 * this as their body, so it is a TypeBox schema as well as a type.
 */

import { type Static, Type } from 'typebox';

const Keys = Type.String({ pattern: '^[0-9*#]+$', description: 'DTMF keys: 0-9, * and #' });

export const DigitPress = Type.Object(
  {
    /** Seconds after the call started; without it, pressed as soon as the flow listens. */
    at: Type.Optional(Type.Number({ minimum: 0 })),
    keys: Keys,
  },
  { additionalProperties: false },
);
export type DigitPress = Static<typeof DigitPress>;

export const AgentBehaviour = Type.Object(
  {
    behaviour: Type.Union([
      Type.Literal('answer'),
      Type.Literal('no-answer'),
      Type.Literal('busy'),
      Type.Literal('fail'),
    ]),
    /** Seconds of ringing before the agent answers; at or past the ring timeout it is a no-answer. Default 3. */
    answerAfterSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    /** Seconds the agent talks before the conversation ends. Default 30. */
    talkSeconds: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type AgentBehaviour = Static<typeof AgentBehaviour>;

export const CallerScript = Type.Object(
  {
    /** The caller's number. */
    from: Type.String({ minLength: 1 }),
    /** The ExoPhone called. */
    to: Type.String({ minLength: 1 }),
    /** Keys to press: a string (pressed as soon as the flow listens) or timed presses. */
    digits: Type.Optional(Type.Union([Keys, Type.Array(DigitPress, { maxItems: 100 })])),
    /** How each agent number behaves when dialled. */
    agents: Type.Optional(Type.Record(Type.String(), AgentBehaviour)),
    /** How a number not listed in `agents` behaves. Default: answers after 3 s, talks 30 s. */
    defaultAgent: Type.Optional(AgentBehaviour),
    /** The caller hangs up this many seconds after the call started. */
    hangupAfterSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    /** The caller hangs up as soon as this applet is left (before the next one starts). */
    hangupAfterApplet: Type.Optional(Type.String({ minLength: 1 })),
    /** Length of every played audio file, seconds. Default 5. */
    audioSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    /** Start of the virtual clock (ISO 8601). Default: the real time when the call starts. */
    startAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type CallerScript = Static<typeof CallerScript>;

export const DEFAULT_AGENT: Required<AgentBehaviour> = {
  behaviour: 'answer',
  answerAfterSeconds: 3,
  talkSeconds: 30,
};
