/**
 * The text-to-speech voices a flow may name (greeting and IVR `voice`, `sip.voice`). A pure list
 * so that the flow schema, which the web app bundles, can use it; the media layer maps each name
 * to an espeak-ng voice (src/telephony/media/tts.ts), and a test keeps the two in step.
 */
export const VOICE_NAMES = [
  'en-in',
  'en-gb',
  'en-us',
  'hi',
  'bn',
  'gu',
  'kn',
  'ml',
  'mr',
  'ta',
  'te',
  'pa',
  'ur',
  'or',
  'as',
] as const;

export type VoiceName = (typeof VOICE_NAMES)[number];
