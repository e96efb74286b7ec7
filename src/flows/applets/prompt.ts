/** What greeting and ivr say to the caller: a text to speak or an audio file to play. */

import { type Static, Type } from 'typebox';
import type { Telephony } from '../../telephony/types.ts';
import { VOICE_NAMES } from '../../telephony/voices.ts';

export const PromptSchema = Type.Union(
  [
    Type.Object(
      {
        text: Type.String({ minLength: 1, maxLength: 2000, title: 'Text' }),
        /** Text-to-speech voice of this prompt; default the configured one (`sip.voice`). */
        voice: Type.Optional(
          Type.Union(
            VOICE_NAMES.map((v) => Type.Literal(v)),
            { title: 'Voice' },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { audioUrl: Type.String({ pattern: '^https?://', maxLength: 2000, title: 'Audio URL' }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'Either a text to speak or the URL of an audio file to play.' },
);
export type Prompt = Static<typeof PromptSchema>;

export async function playPrompt(telephony: Telephony, prompt: Prompt): Promise<void> {
  if ('text' in prompt)
    await telephony.say(prompt.text, prompt.voice === undefined ? {} : { voice: prompt.voice });
  else await telephony.play(prompt.audioUrl);
}
