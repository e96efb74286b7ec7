/**
 * The GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1) and its extension table.
 *
 * Glossary:
 * - septet: one 7-bit GSM code; a basic-table character is one septet.
 * - escape pair: ESC (0x1B) followed by an extension-table code; an extension character
 *   (form feed ^ { } \ [ ~ ] | €) costs two septets and is never split across parts.
 *
 * `GSM7_SEPTETS` answers "how many septets does this UTF-16 code unit cost" with one array
 * read, because the segment counter runs it on every character of every message.
 */

/**
 * The basic table in code order: the character at index i has GSM code i. Index 0x1B is the
 * escape to the extension table and is not a character; it holds a placeholder (NUL) that is
 * skipped when the lookup table is built. 0x09 is the capital Ç of the 1998 edition of the
 * standard.
 */
export const GSM7_BASIC_CHARS =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u0000ÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table: character -> code that follows ESC. */
export const GSM7_EXTENSION_CHARS: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);

export const GSM7_ESCAPE = 0x1b;

/**
 * Septets per UTF-16 code unit: 1 for the basic table, 2 for the extension table, 0 when the
 * code unit is not in GSM 03.38 at all. Indexed by `charCodeAt`; 64 KiB, built once.
 */
export const GSM7_SEPTETS: Uint8Array = buildSeptetTable();

function buildSeptetTable(): Uint8Array {
  const table = new Uint8Array(0x10000);
  for (let code = 0; code < GSM7_BASIC_CHARS.length; code++) {
    if (code !== GSM7_ESCAPE) table[GSM7_BASIC_CHARS.charCodeAt(code)] = 1;
  }
  for (const char of GSM7_EXTENSION_CHARS.keys()) table[char.charCodeAt(0)] = 2;
  return table;
}

/** True when every character of `text` is in the basic or the extension table. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (GSM7_SEPTETS[text.charCodeAt(i)] === 0) return false;
  }
  return true;
}

/** Septets `text` costs in GSM-7, or -1 when a character is not in GSM 03.38. */
export function countSeptets(text: string): number {
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    const cost = GSM7_SEPTETS[text.charCodeAt(i)]!;
    if (cost === 0) return -1;
    septets += cost;
  }
  return septets;
}

const BASIC_CODE = new Map<number, number>();
for (let code = 0; code < GSM7_BASIC_CHARS.length; code++) {
  if (code !== GSM7_ESCAPE) BASIC_CODE.set(GSM7_BASIC_CHARS.charCodeAt(code), code);
}

/**
 * The unpacked septets of `text` (one byte per septet, ESC pairs written out), as a carrier
 * sends them with data_coding 0. Returns undefined when a character is not in GSM 03.38.
 */
export function encodeGsm7(text: string): Uint8Array | undefined {
  const septets = countSeptets(text);
  if (septets < 0) return undefined;
  const out = new Uint8Array(septets);
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const basic = BASIC_CODE.get(unit);
    if (basic !== undefined) {
      out[at++] = basic;
    } else {
      out[at++] = GSM7_ESCAPE;
      out[at++] = GSM7_EXTENSION_CHARS.get(text[i]!)!;
    }
  }
  return out;
}
