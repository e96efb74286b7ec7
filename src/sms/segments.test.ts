import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallflowError } from '../errors.ts';
import { inspectSms, type SmsInspection } from './segments.ts';

const digits = (n: number) => '1234567890'.repeat(Math.ceil(n / 10)).slice(0, n);
const lengths = (result: SmsInspection) => result.parts.map((part) => part.length);

function summary(text: string) {
  const result = inspectSms(text);
  assert.equal(result.parts.join(''), text, 'parts join back to the text');
  assert.equal(result.segments, result.parts.length);
  return {
    encoding: result.encoding,
    segments: result.segments,
    units: result.units,
    unitsPerSegment: result.unitsPerSegment,
    remaining: result.remaining,
  };
}

test('GSM-7 boundaries: 160/161 and 306/307 septets', () => {
  assert.deepEqual(summary(digits(160)), {
    encoding: 'GSM-7',
    segments: 1,
    units: 160,
    unitsPerSegment: 160,
    remaining: 0,
  });
  assert.deepEqual(summary(digits(161)), {
    encoding: 'GSM-7',
    segments: 2,
    units: 161,
    unitsPerSegment: 153,
    remaining: 145,
  });
  assert.deepEqual(summary(digits(306)), {
    encoding: 'GSM-7',
    segments: 2,
    units: 306,
    unitsPerSegment: 153,
    remaining: 0,
  });
  assert.deepEqual(summary(digits(307)), {
    encoding: 'GSM-7',
    segments: 3,
    units: 307,
    unitsPerSegment: 153,
    remaining: 152,
  });
  assert.deepEqual(lengths(inspectSms(digits(307))), [153, 153, 1]);
  assert.equal(inspectSms(digits(459)).segments, 3);
  assert.equal(inspectSms(digits(460)).segments, 4);
});

test('UCS-2 boundaries: 70/71 and 134/135 units', () => {
  const ucs = (n: number) => `₹${digits(n - 1)}`;
  assert.deepEqual(summary(ucs(70)), {
    encoding: 'UCS-2',
    segments: 1,
    units: 70,
    unitsPerSegment: 70,
    remaining: 0,
  });
  assert.deepEqual(summary(ucs(71)), {
    encoding: 'UCS-2',
    segments: 2,
    units: 71,
    unitsPerSegment: 67,
    remaining: 63,
  });
  assert.deepEqual(summary(ucs(134)), {
    encoding: 'UCS-2',
    segments: 2,
    units: 134,
    unitsPerSegment: 67,
    remaining: 0,
  });
  assert.deepEqual(summary(ucs(135)), {
    encoding: 'UCS-2',
    segments: 3,
    units: 135,
    unitsPerSegment: 67,
    remaining: 66,
  });
});

test('an escape pair costs two septets and is never split', () => {
  // ESC character + 159 digits = 161 septets: two parts.
  const caret = inspectSms(`^${digits(159)}`);
  assert.equal(caret.units, 161);
  assert.equal(caret.characters, 160);
  assert.deepEqual(lengths(caret), [152, 8]);
  // € as the 153rd character would need septets 153 and 154: it moves to part 2.
  const euro = inspectSms(`${digits(152)}€${digits(10)}`);
  assert.deepEqual(euro.parts, [digits(152), `€${digits(10)}`]);
  assert.equal(euro.remaining, 153 - 12);
  // € right after a full part starts the next one.
  assert.deepEqual(lengths(inspectSms(`${digits(153)}€${digits(10)}`)), [153, 11]);
  // 80 escape pairs are 160 septets: still one part.
  assert.deepEqual(summary('{}'.repeat(20) + '[]'.repeat(10) + '€|'.repeat(10)).segments, 1);
  assert.equal(inspectSms(`${'€'.repeat(80)}1`).segments, 2);
});

test('every extension character, form feed included, costs two septets', () => {
  for (const char of ['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']) {
    const result = inspectSms(char);
    assert.equal(result.encoding, 'GSM-7', JSON.stringify(char));
    assert.equal(result.units, 2, JSON.stringify(char));
  }
});

test('GSM basic table characters cost one septet; ₹, ç and ` force UCS-2', () => {
  const basic = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà';
  assert.deepEqual(summary(basic), {
    encoding: 'GSM-7',
    segments: 1,
    units: basic.length,
    unitsPerSegment: 160,
    remaining: 160 - basic.length,
  });
  for (const char of ['₹', 'ç', '`', 'á', 'क']) {
    assert.equal(inspectSms(`Pay ${char}`).encoding, 'UCS-2', char);
  }
  // In UCS-2 an extension character is one code unit like any other.
  assert.equal(inspectSms('₹€{}').units, 4);
});

test('surrogate pairs count two units and are never split', () => {
  assert.deepEqual(summary(`😜${digits(68)}`).segments, 1);
  assert.deepEqual(summary(`😜${digits(69)}`).segments, 2);
  // An emoji that would straddle units 67/68 moves whole to part 2.
  const straddle = inspectSms(`${digits(66)}😜${digits(10)}`);
  assert.deepEqual(straddle.parts, [digits(66), `😜${digits(10)}`]);
  assert.equal(straddle.characters, 77);
  // Exactly filling part 1 is fine.
  assert.deepEqual(lengths(inspectSms(`${digits(65)}😜${digits(10)}`)), [67, 10]);
});

test('by default parts are cut where GSM 03.40 cuts them, clusters or not', () => {
  const family = '👨‍👩‍👧'; // 8 units: man ZWJ woman ZWJ girl
  const result = inspectSms(`${digits(62)}${family}${digits(10)}`);
  assert.equal(result.split, 'standard');
  assert.deepEqual(result.parts, [`${digits(62)}👨‍👩`, `\u200d👧${digits(10)}`]);
  assert.equal(result.segments, 2);
  assert.equal(result.graphemeSegments, 2);
  assert.equal(result.characters, 73);
  // A flag is two surrogate pairs: the standard may cut between them, never inside one.
  assert.deepEqual(lengths(inspectSms(`${digits(65)}🇮🇳🇮🇳${digits(10)}`)), [67, 16]);
  assert.deepEqual(lengths(inspectSms(`${digits(66)}🇮🇳${digits(10)}`)), [66, 14]);
  // A conjunct and a Tamil vowel sign are cut like any code units.
  assert.deepEqual(lengths(inspectSms(`${digits(65)}क्ष${digits(10)}`)), [67, 11]);
  assert.deepEqual(lengths(inspectSms(`${digits(66)}கோ${digits(10)}`)), [67, 11]);
  // CR LF is two septets the standard may put in different parts.
  assert.deepEqual(lengths(inspectSms(`${digits(152)}\r\n${digits(10)}`)), [153, 11]);
  // An escape pair is never split.
  assert.deepEqual(lengths(inspectSms(`${digits(152)}€${digits(10)}`)), [152, 11]);
});

test('graphemeSegments says what keeping clusters whole would cost', () => {
  const text = `${digits(65)}क्ष${digits(66)}`;
  const standard = inspectSms(text);
  assert.equal(standard.segments, 2);
  assert.equal(standard.graphemeSegments, 3);
  const kept = inspectSms(text, { splitGraphemes: true });
  assert.equal(kept.split, 'graphemes');
  assert.equal(kept.segments, 3);
  assert.equal(kept.graphemeSegments, 3);
  assert.equal(inspectSms(`${digits(152)}\r\n${digits(152)}`).graphemeSegments, 3);
  assert.equal(inspectSms('short').graphemeSegments, 1);
});

test('with splitGraphemes, ZWJ sequences, flags and skin tones are never split', () => {
  const family = '👨‍👩‍👧'; // 8 units
  const result = inspectSms(`${digits(62)}${family}${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(result.parts, [digits(62), `${family}${digits(10)}`]);
  assert.equal(result.characters, 73);
  const flags = inspectSms(`${digits(65)}🇮🇳🇮🇳${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(flags.parts, [`${digits(65)}`, `🇮🇳🇮🇳${digits(10)}`]);
  const thumbs = inspectSms(`${digits(64)}👍🏽${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(thumbs.parts, [`${digits(64)}`, `👍🏽${digits(10)}`]);
  assert.deepEqual(summary(`🏳️‍🌈${digits(64)}`).segments, 1);
  assert.deepEqual(summary(`🏳️‍🌈${digits(65)}`).segments, 2);
});

test('Devanagari and Tamil with splitGraphemes: UCS-2, conjuncts and vowel signs stay with their letter', () => {
  const hindi = inspectSms('नमस्ते, आपका ओटीपी 4821 है।');
  assert.equal(hindi.encoding, 'UCS-2');
  assert.equal(hindi.units, 27);
  assert.equal(hindi.characters, 20);
  // क्ष (KA VIRAMA SSA) is one cluster: at units 66-68 it moves to part 2.
  const conjunct = inspectSms(`${digits(65)}क्ष${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(conjunct.parts, [digits(65), `क्ष${digits(10)}`]);
  const tamil = inspectSms(`${digits(66)}கோ${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(tamil.parts, [digits(66), `கோ${digits(10)}`]);
  assert.equal(inspectSms('வணக்கம்').characters, 5);
});

test('CR LF counts two units and is one character, never split with splitGraphemes', () => {
  const result = inspectSms('Hi\r\nthere\nbye\r');
  assert.equal(result.encoding, 'GSM-7');
  assert.equal(result.units, 14);
  assert.equal(result.characters, 13);
  const boundary = inspectSms(`${digits(152)}\r\n${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(boundary.parts, [digits(152), `\r\n${digits(10)}`]);
  // A lone CR or LF at the boundary is an ordinary character.
  assert.deepEqual(lengths(inspectSms(`${digits(152)}\n\n${digits(10)}`)), [153, 11]);
  const ucs = inspectSms(`₹${digits(65)}\r\n${digits(10)}`, { splitGraphemes: true });
  assert.deepEqual(lengths(ucs), [66, 12]);
});

test('with splitGraphemes, a cluster longer than a part is split at code point boundaries', () => {
  const zalgo = `a${'\u0301'.repeat(100)}`;
  const result = inspectSms(`xy${zalgo}`, { splitGraphemes: true });
  assert.equal(result.characters, 3);
  assert.deepEqual(lengths(result), [2, 67, 34]);
  assert.equal(result.parts.join(''), `xy${zalgo}`);
  // Never between the halves of a surrogate pair.
  const skin = `👍${'🏽'.repeat(40)}`; // 82 units, one cluster
  const split = inspectSms(skin, { splitGraphemes: true });
  assert.deepEqual(lengths(split), [66, 16]);
  for (const part of split.parts) assert.equal(part.isWellFormed(), true);
});

test('nonGsm lists the clusters that force UCS-2, at their UTF-16 index', () => {
  assert.deepEqual(inspectSms('Total ₹500 – thanks 🙏🏽').nonGsm, [
    { char: '₹', index: 6 },
    { char: '–', index: 11 },
    { char: '🙏🏽', index: 20 },
  ]);
  // A decomposed accent belongs to its letter's cluster.
  assert.deepEqual(inspectSms('Cafe\u0301!').nonGsm, [{ char: 'e\u0301', index: 3 }]);
  assert.deepEqual(inspectSms('plain text').nonGsm, []);
});

test('the empty text is one empty GSM-7 part, as in the calculator', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(inspectSms(''))), {
    encoding: 'GSM-7',
    split: 'standard',
    segments: 1,
    graphemeSegments: 1,
    characters: 0,
    units: 0,
    unitsPerSegment: 160,
    remaining: 160,
    parts: [''],
    nonGsm: [],
  });
});

test('invalid text throws INVALID_TEXT naming the position', () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /must be a string, got undefined/],
    [null, /must be a string, got null/],
    [42, /must be a string, got number/],
    ['ab\u0000cd', /NUL \(U\+0000\) at index 2/],
    ['₹\u0000', /NUL \(U\+0000\) at index 1/],
    ['ok \ud83d', /lone surrogate \(U\+D83D\) at index 3/],
    ['\ude00 ok', /lone surrogate \(U\+DE00\) at index 0/],
    ['😀\ude00', /lone surrogate \(U\+DE00\) at index 2/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => inspectSms(text as string),
      (error: unknown) =>
        error instanceof CallflowError &&
        error.code === 'INVALID_TEXT' &&
        message.test(error.message),
      JSON.stringify(text),
    );
  }
});

test('JSON carries every field, nonGsm included', () => {
  const result = inspectSms('₹5');
  assert.deepEqual(JSON.parse(JSON.stringify(result)), {
    encoding: 'UCS-2',
    split: 'standard',
    segments: 1,
    graphemeSegments: 1,
    characters: 2,
    units: 2,
    unitsPerSegment: 70,
    remaining: 68,
    parts: ['₹5'],
    nonGsm: [{ char: '₹', index: 0 }],
  });
  // nonGsm does not depend on what was inspected in between.
  const later = inspectSms('क्ष ok');
  inspectSms(`${'😀'.repeat(40)}`);
  assert.deepEqual(later.nonGsm, [{ char: 'क्ष', index: 0 }]);
  assert.equal(later.nonGsm, later.nonGsm);
});

test('the text is never changed', () => {
  const text = `“Quoted” — ${'x'.repeat(200)} 👍🏽\r\n`;
  const result = inspectSms(text);
  assert.equal(result.parts.join(''), text);
});
