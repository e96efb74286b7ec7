/**
 * A deterministic corpus of SMS bodies for the segment oracle test and the SMS benchmark.
 *
 * Each text has one flavour (plain ASCII, GSM with extension characters and line breaks,
 * accented Latin, Devanagari, Tamil, emoji with ZWJ sequences and flags, a mix of all, or an
 * absurd combining sequence) and a target length drawn from a band around a segment
 * boundary: 150-170, 300-320 and 455-475 septets for GSM-7 flavours; 60-80, 130-140 and
 * 195-205 code units for UCS-2 flavours. Texts are built from whole tokens, so
 * multi-unit characters land on every position around each boundary.
 */

export type CorpusFlavour =
  | 'ascii'
  | 'gsm'
  | 'gsm-lines'
  | 'latin'
  | 'devanagari'
  | 'tamil'
  | 'emoji'
  | 'mixed'
  | 'zalgo';

/** mulberry32: a small, fast PRNG with a 32-bit state; good enough to spread test cases. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = (text: string): string[] => text.split(' ');

const ASCII_WORDS = words(
  'Your OTP is 482913 . Thank you for calling Acme Corp, ref no: ACM-2024/17 ; call 1800-123-4567 ' +
    'visit acme.com/offer now! (T&C apply) it\'s 50% off * # + = ? " @ $ _ < >',
);
const GSM_EXTRA = [
  '£',
  '¥',
  'è',
  'é',
  'ù',
  'ì',
  'ò',
  'Ç',
  'Ø',
  'ø',
  'Å',
  'å',
  'Δ',
  'Φ',
  'Γ',
  'Λ',
  'Ω',
  'Π',
  'Ψ',
  'Σ',
  'Θ',
  'Ξ',
  'Æ',
  'æ',
  'ß',
  'É',
  '¤',
  '¡',
  'Ä',
  'Ö',
  'Ñ',
  'Ü',
  '§',
  '¿',
  'ä',
  'ö',
  'ñ',
  'ü',
  'à',
];
const GSM_EXTENSION = ['€', '^', '{', '}', '\\', '[', ']', '~', '|', '\f'];
const LINE_BREAKS = ['\r\n', '\n', '\r', '\r\n\r\n', '\n\n'];
const LATIN_NON_GSM = [
  'á',
  'í',
  'ó',
  'ú',
  'ç',
  'â',
  'ê',
  'ô',
  'ã',
  'õ',
  'ł',
  'ş',
  'Á',
  'Í',
  'e\u0301',
  'a\u0300',
  'n\u0303',
  'u\u0308',
  '₹',
  '’',
  '“',
  '”',
  '–',
  '…',
  '`',
  '\t',
  '\u00a0',
];
const DEVANAGARI = words(
  'नमस्ते आपका ओटीपी है क्षत्रिय श्री प्रिय ग्राहक धन्यवाद कॉल करने के लिए ज़रूर आपकी बुकिंग ' +
    'पुष्टि हो गई है राशि ₹५०० द्वारा स्वागत हिंदी क़ीमत ड्रॉ अर्द्ध त्र्य',
);
const TAMIL = words(
  'வணக்கம் உங்கள் ஓடிபி நன்றி க்ஷ ஸ்ரீ பதிவு உறுதி செய்யப்பட்டது அழைப்புக்கு தொகை ₹௫௦௦ கொள்முதல்',
);
const EMOJI = [
  '😀',
  '😜',
  '👍',
  '👍🏽',
  '👨‍👩‍👧',
  '👨‍👩‍👧‍👦',
  '🧑‍🦰',
  '🏳️‍🌈',
  '🏴‍☠️',
  '❤️',
  '❤️‍🔥',
  '🐦‍🔥',
  '🇮🇳',
  '🇺🇸',
  '🇮🇳🇮🇳',
  '1️⃣',
  '#️⃣',
  '✔',
  '☺',
  '☺️',
  '🫠',
  '🙏🏾',
  '👩🏽‍💻',
  '😀\u200d😀',
  '🏴󠁧󠁢󠁳󠁣󠁴󠁿',
];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

type TokenSource = (random: () => number) => string;

const asciiToken: TokenSource = (random) => `${pick(random, ASCII_WORDS)} `;

const SOURCES: Record<CorpusFlavour, TokenSource> = {
  ascii: asciiToken,
  gsm: (random) => {
    const roll = random();
    if (roll < 0.15) return pick(random, GSM_EXTENSION);
    if (roll < 0.35) return pick(random, GSM_EXTRA);
    return asciiToken(random);
  },
  'gsm-lines': (random) => {
    const roll = random();
    if (roll < 0.2) return pick(random, LINE_BREAKS);
    if (roll < 0.3) return pick(random, GSM_EXTENSION);
    return asciiToken(random);
  },
  latin: (random) => (random() < 0.25 ? pick(random, LATIN_NON_GSM) : asciiToken(random)),
  devanagari: (random) => {
    const roll = random();
    if (roll < 0.1) return asciiToken(random);
    if (roll < 0.15) return pick(random, LINE_BREAKS);
    return `${pick(random, DEVANAGARI)} `;
  },
  tamil: (random) => (random() < 0.1 ? asciiToken(random) : `${pick(random, TAMIL)} `),
  emoji: (random) => (random() < 0.3 ? pick(random, EMOJI) : asciiToken(random)),
  mixed: (random) => {
    const roll = random();
    if (roll < 0.1) return pick(random, EMOJI);
    if (roll < 0.2) return `${pick(random, DEVANAGARI)} `;
    if (roll < 0.25) return `${pick(random, TAMIL)} `;
    if (roll < 0.35) return pick(random, LATIN_NON_GSM);
    if (roll < 0.45) return pick(random, GSM_EXTENSION);
    if (roll < 0.5) return pick(random, LINE_BREAKS);
    if (roll < 0.6) return pick(random, GSM_EXTRA);
    return asciiToken(random);
  },
  zalgo: (random) => {
    if (random() < 0.9) return asciiToken(random);
    const marks = 10 + Math.floor(random() * 80);
    let token = 'a';
    for (let i = 0; i < marks; i++)
      token += String.fromCharCode(0x0300 + Math.floor(random() * 0x70));
    return token;
  },
};

/**
 * Flavours with their share of the corpus (out of 100), and length bands [low, high, weight].
 *
 * The peer calculator costs about 7-11 µs per character, and the oracle test runs it on
 * 100,000 texts, so the shares lean towards what is cheap to check and rich in cases: GSM-7
 * texts (2-5 ms each in the calculator, with one subtle case, CR LF at a boundary) are 8% of
 * the corpus, and short bands weigh more than long ones. Every band still gets over a
 * thousand texts.
 */
const FLAVOURS: readonly [CorpusFlavour, number][] = [
  ['ascii', 2],
  ['gsm', 3],
  ['gsm-lines', 3],
  ['latin', 15],
  ['devanagari', 18],
  ['tamil', 10],
  ['emoji', 21],
  ['mixed', 27],
  ['zalgo', 1],
];

/** Around the boundaries 160/161, 306/307 and 459/460 septets. */
const GSM_BANDS: readonly [number, number, number][] = [
  [150, 170, 60],
  [300, 320, 25],
  [455, 475, 15],
];
/** Around the boundaries 70/71, 134/135 and 201/202 code units. */
const UCS2_BANDS: readonly [number, number, number][] = [
  [60, 80, 65],
  [130, 140, 22],
  [195, 205, 13],
];

/** An entry of `list`, chosen with the weights (out of 100) in each entry's last element. */
function pickWeighted<T extends readonly unknown[]>(random: () => number, list: readonly T[]): T {
  let roll = random() * 100;
  for (const entry of list) {
    roll -= entry[entry.length - 1] as number;
    if (roll < 0) return entry;
  }
  return list[list.length - 1]!;
}

const EXTENSION = new Set(GSM_EXTENSION);
const sizes = new Map<string, number>();

/** Approximate size: septets for GSM flavours, code units otherwise (only steers lengths). */
function sizeOf(token: string, gsm: boolean): number {
  if (!gsm) return token.length;
  let size = sizes.get(token);
  if (size === undefined) {
    size = 0;
    for (const char of token) size += EXTENSION.has(char) ? 2 : 1;
    sizes.set(token, size);
  }
  return size;
}

const PRINTABLE_ASCII = /^[ -~]+$/;

export interface CorpusText {
  flavour: CorpusFlavour;
  text: string;
}

/**
 * Text number `index` of the corpus for `seed`. Each text has its own PRNG stream, so any
 * slice of the corpus can be built without the rest (the oracle test's workers do that).
 */
export function makeCorpusText(seed: number, index: number): CorpusText {
  const random = mulberry32(
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35),
  );
  const [flavour] = pickWeighted(random, FLAVOURS);
  const gsm = flavour === 'ascii' || flavour === 'gsm' || flavour === 'gsm-lines';
  const [low, high] = pickWeighted(random, gsm ? GSM_BANDS : UCS2_BANDS);
  const target = low + Math.floor(random() * (high - low + 1));
  const source = SOURCES[flavour];
  const tokens: string[] = [];
  let size = 0;
  while (size < target) {
    let token = source(random);
    const room = target - size;
    // Trim plain ASCII words so that lengths hit every value of the band.
    if (token.length > room && PRINTABLE_ASCII.test(token)) token = token.slice(0, room);
    tokens.push(token);
    size += sizeOf(token, gsm);
  }
  return { flavour, text: tokens.join('') };
}

/** `count` texts of the corpus for `seed`, starting with text number `from`. */
export function makeCorpusEntries(count: number, seed: number, from = 0): CorpusText[] {
  const entries: CorpusText[] = [];
  for (let index = from; index < from + count; index++) entries.push(makeCorpusText(seed, index));
  return entries;
}

/** `count` texts, the same for the same seed. */
export function makeCorpus(count: number, seed: number): string[] {
  return makeCorpusEntries(count, seed).map((entry) => entry.text);
}
