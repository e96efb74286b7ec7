/**
 * Text to short_message bytes and back, for data_coding 0 (GSM 03.38, one septet per octet,
 * "unpacked": the SMSC packs them for the air interface) and 8 (UCS-2, UTF-16BE).
 *
 * We encode ourselves and hand the `smpp` package a Buffer, because its own encoder labels
 * GSM text data_coding 1 (IA5) and silently turns unknown characters into spaces. The
 * alphabet itself lives in the SMS core (src/sms/gsm7.ts), which also counts segments.
 */
import {
  encodeGsm7 as encodeSeptets,
  GSM7_BASIC_CHARS,
  GSM7_ESCAPE,
  GSM7_EXTENSION_CHARS,
} from '../../sms/gsm7.ts';

const EXTENSION_CHAR = new Map<number, string>(
  [...GSM7_EXTENSION_CHARS].map(([char, code]) => [code, char]),
);

/**
 * The unpacked septets of `text`. Throws a RangeError naming the first character GSM-7
 * cannot carry: choosing the encoding is the core's job, so that is a caller bug.
 */
export function encodeGsm7(text: string): Buffer {
  const septets = encodeSeptets(text);
  if (septets) return Buffer.from(septets);
  const bad = [...text].find((char) => encodeSeptets(char) === undefined) ?? '';
  const codePoint = (bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  throw new RangeError(`U+${codePoint} is not in the GSM 03.38 alphabet`);
}

/**
 * Decodes unpacked septets. An escape to an undefined extension code yields the basic
 * character of that code, as TS 23.038 asks of receivers; a trailing escape yields a space.
 */
export function decodeGsm7(septets: Uint8Array): string {
  let text = '';
  for (let i = 0; i < septets.length; i++) {
    const septet = septets[i]! & 0x7f;
    if (septet !== GSM7_ESCAPE) {
      text += GSM7_BASIC_CHARS[septet];
      continue;
    }
    const next = septets[++i];
    if (next === undefined) {
      text += ' ';
      break;
    }
    text += EXTENSION_CHAR.get(next & 0x7f) ?? GSM7_BASIC_CHARS[next & 0x7f];
  }
  return text;
}

/** UCS-2 as SMPP carries it with data_coding 8: UTF-16 big-endian code units. */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

export function decodeUcs2(bytes: Uint8Array): string {
  // A stray odd byte cannot be a code unit; drop it rather than fail on it.
  return Buffer.from(bytes.subarray(0, bytes.length & ~1))
    .swap16()
    .toString('utf16le');
}
