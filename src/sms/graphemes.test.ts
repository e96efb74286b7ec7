import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markClusters, segmenterClusterStarts } from './graphemes.ts';

/** Cluster start indexes as markClusters sees them. */
function ourStarts(text: string): number[] {
  const inside = new Uint8Array(text.length + 1);
  const count = markClusters(text, inside);
  const starts: number[] = [];
  for (let i = 0; i < text.length; i++) if (inside[i] === 0) starts.push(i);
  assert.equal(count, starts.length, `cluster count of ${JSON.stringify(text)}`);
  return starts;
}

function assertSameAsSegmenter(text: string): void {
  assert.deepEqual(ourStarts(text), segmenterClusterStarts(text), JSON.stringify(text));
}

test('clusters of typical texts match Intl.Segmenter', () => {
  for (const text of [
    '',
    'a',
    'Hello, world',
    'a\r\nb\n\rc',
    'नमस्ते क्षत्रिय श्री अर्द्ध त्र्य क़्ष',
    'ক্ষ ক্ক্ষ',
    'வணக்கம் க்ஷ ஸ்ரீ',
    '👨‍👩‍👧 🏳️‍🌈 🇮🇳🇺🇸🇮 👍🏽 1️⃣ 🧑‍🦰 🐦‍🔥 ❤️‍🔥 😀\u200d😀 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
    'e\u0301 a\u0300\u0301\u0302',
    '\u0600a \u0d4eക',
    'ᄀ각 한국어 각',
    'กำ ລຳ',
    'a\u200b\u200cb\u200dc\ufeff',
    '\u0301leading mark',
  ]) {
    assertSameAsSegmenter(text);
  }
});

test('every BMP code point in the contexts that matter matches Intl.Segmenter', () => {
  // Each code point c after a letter, before a combining mark, after a virama, between
  // consonant and virama, after an emoji and before a ZWJ, and doubled. CJK ideographs,
  // Hangul syllables and private use are sampled: they are all plain letters.
  const sampled = (cp: number) =>
    (cp >= 0x3400 && cp <= 0x9fff) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xe000 && cp <= 0xf8ff);
  let chunk = '';
  for (let cp = 0; cp < 0x10000; cp++) {
    if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff)) continue;
    if (sampled(cp) && cp % 17 !== 0) continue;
    const c = String.fromCharCode(cp);
    chunk += `a${c}\u0301 क्${c} क${c}्क ☺${c}\u200d☺ ${c}${c}|`;
    if (chunk.length > 4000) {
      assertSameAsSegmenter(chunk);
      chunk = '';
    }
  }
  assertSameAsSegmenter(chunk);
});

test('random strings of tricky code points match Intl.Segmenter', () => {
  const pool = [
    ...'aZ09 .,\r\n\t\f€',
    ...'\u0300\u0301\u0308\u0327\u20e3\ufe0f\ufe0e\u200d\u200c\u200b\u00ad',
    ...'कखगषसह्ऀँंःािीुूेैोौ़क़',
    ...'কষ্া',
    ...'கஷ்ாிீ',
    ...'ക്ഷൎ',
    ...'\u0600\u0605\u06dd',
    ...'각각가',
    ...'ำกຳ',
    '😀',
    '👍',
    '🏽',
    '🇮',
    '🇳',
    '🧑',
    '🦰',
    '☺',
    '❤',
    '🏴',
    '\u{e0067}',
    '\u{e007f}',
    '𝐀',
  ];
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  for (let k = 0; k < 20000; k++) {
    let text = '';
    const length = 1 + Math.floor(random() * 10);
    for (let i = 0; i < length; i++) text += pool[Math.floor(random() * pool.length)];
    assertSameAsSegmenter(text);
  }
});
