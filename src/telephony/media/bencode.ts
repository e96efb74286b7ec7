/**
 * Bencode, the encoding of rtpengine's NG control protocol: integers, byte strings, lists and
 * dictionaries. Strings are decoded as UTF-8 text (SDP and every NG value are text); a
 * dictionary's keys are written in sorted order, as the format asks.
 */

export type BencodeValue = string | number | BencodeValue[] | { [key: string]: BencodeValue };

export function encodeBencode(value: BencodeValue | undefined): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function write(value: BencodeValue | undefined, parts: Buffer[]): void {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`${bytes.length}:`), bytes);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`bencode integers only: ${value}`);
    parts.push(Buffer.from(`i${value}e`));
  } else if (Array.isArray(value)) {
    parts.push(Buffer.from('l'));
    for (const item of value) write(item, parts);
    parts.push(Buffer.from('e'));
  } else if (value !== null && typeof value === 'object') {
    parts.push(Buffer.from('d'));
    for (const key of Object.keys(value).sort()) {
      if (value[key] === undefined) continue;
      write(key, parts);
      write(value[key], parts);
    }
    parts.push(Buffer.from('e'));
  } else {
    throw new TypeError(`cannot bencode ${String(value)}`);
  }
}

/** Decodes one value that fills `bytes` exactly; throws a SyntaxError on anything else. */
export function decodeBencode(bytes: Buffer): BencodeValue {
  const [value, end] = read(bytes, 0, 0);
  if (end !== bytes.length) throw new SyntaxError(`bencode: ${bytes.length - end} trailing bytes`);
  return value;
}

const MAX_DEPTH = 32;

function read(bytes: Buffer, at: number, depth: number): [BencodeValue, number] {
  if (depth > MAX_DEPTH) throw new SyntaxError('bencode: nested too deeply');
  const head = bytes[at];
  if (head === undefined) throw new SyntaxError('bencode: truncated');
  if (head === 0x69 /* i */) {
    const end = bytes.indexOf(0x65 /* e */, at + 1);
    const text = end < 0 ? '' : bytes.toString('latin1', at + 1, end);
    if (!/^-?\d+$/.test(text)) throw new SyntaxError('bencode: bad integer');
    return [Number(text), end + 1];
  }
  if (head === 0x6c /* l */) {
    const list: BencodeValue[] = [];
    let next = at + 1;
    while (bytes[next] !== 0x65) {
      const [item, after] = read(bytes, next, depth + 1);
      list.push(item);
      next = after;
    }
    return [list, next + 1];
  }
  if (head === 0x64 /* d */) {
    const dict: { [key: string]: BencodeValue } = Object.create(null);
    let next = at + 1;
    while (bytes[next] !== 0x65) {
      const [key, afterKey] = read(bytes, next, depth + 1);
      if (typeof key !== 'string') throw new SyntaxError('bencode: dictionary key is not a string');
      const [item, afterValue] = read(bytes, afterKey, depth + 1);
      dict[key] = item;
      next = afterValue;
    }
    return [dict, next + 1];
  }
  if (head >= 0x30 && head <= 0x39) {
    const colon = bytes.indexOf(0x3a /* : */, at);
    const text = colon < 0 ? '' : bytes.toString('latin1', at, colon);
    if (!/^\d+$/.test(text)) throw new SyntaxError('bencode: bad string length');
    const start = colon + 1;
    const end = start + Number(text);
    if (end > bytes.length) throw new SyntaxError('bencode: truncated string');
    return [bytes.toString('utf8', start, end), end];
  }
  throw new SyntaxError(`bencode: unexpected byte 0x${head.toString(16)}`);
}
