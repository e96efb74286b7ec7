/**
 * A small streaming CSV parser (RFC 4180): quoted fields with escaped quotes (""), newlines inside
 * quotes, CRLF, LF or CR line ends, a UTF-8 byte-order mark, and the delimiter detected from the
 * header line (comma, semicolon or tab: Excel writes semicolons in some locales). It is fed text
 * in chunks and hands back complete records, so a file of any length is read in constant memory;
 * a record longer than `maxRecordLength` is refused, so a stray quote cannot swallow the file.
 *
 * Lenient where real exports are sloppy: a quote inside an unquoted field is kept as text.
 * Strict where data would be lost: text after a closing quote, or a quote left open at the end.
 */

export interface CsvRecord {
  /** Line of the file where the record starts (1-based; the header is usually line 1). */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

export interface CsvOptions {
  /** ',' ';' '\t', or 'auto' (default): the first of them found outside quotes in the first line. */
  delimiter?: ',' | ';' | '\t' | 'auto';
  /** Longest record accepted, in UTF-16 units. Default 1 MiB. */
  maxRecordLength?: number;
}

const QUOTE = 34; // "
const CR = 13;
const LF = 10;
const BOM = '\ufeff';
const DEFAULT_MAX_RECORD = 1024 * 1024;

export class CsvParser {
  #delimiter: number | null;
  readonly #maxRecord: number;
  #fields: string[] = [];
  #field = '';
  #recordLength = 0;
  /** Inside a quoted field. */
  #quoted = false;
  /** The quoted field was closed; only a delimiter or a line end may follow. */
  #closed = false;
  /** The last chunk ended on a quote inside a quoted field: an escape or the closing quote. */
  #pendingQuote = false;
  /** The last chunk ended on CR: a following LF belongs to the same line end. */
  #pendingCr = false;
  /** Anything seen in the current record (so a blank line is not a record of one empty field). */
  #started = false;
  #line = 1;
  #recordLine = 1;
  #first = true;
  /** Text of the first line kept until the delimiter is known. */
  #sniff: string | null;

  constructor(options: CsvOptions = {}) {
    const d = options.delimiter ?? 'auto';
    this.#delimiter = d === 'auto' ? null : d.charCodeAt(0);
    this.#sniff = d === 'auto' ? '' : null;
    this.#maxRecord = options.maxRecordLength ?? DEFAULT_MAX_RECORD;
  }

  /** The delimiter in use, once known. */
  get delimiter(): string | null {
    return this.#delimiter === null ? null : String.fromCharCode(this.#delimiter);
  }

  /** Feeds text; returns the records it completed. */
  push(text: string): CsvRecord[] {
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    if (this.#sniff !== null) {
      this.#sniff += text;
      const delimiter = sniffDelimiter(this.#sniff, false);
      if (delimiter === null) {
        if (this.#sniff.length > this.#maxRecord) {
          throw new CsvError(1, `the first line is longer than ${this.#maxRecord} characters`);
        }
        return [];
      }
      this.#delimiter = delimiter;
      text = this.#sniff;
      this.#sniff = null;
    }
    const out: CsvRecord[] = [];
    this.#scan(text, out);
    return out;
  }

  /** Ends the input; returns the last record, if any. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.#sniff !== null) {
      const text = this.#sniff;
      this.#sniff = null;
      this.#delimiter = sniffDelimiter(text, true);
      this.#scan(text, out);
    }
    if (this.#pendingQuote) {
      this.#pendingQuote = false;
      this.#quoted = false;
      this.#closed = true;
    }
    if (this.#quoted) {
      throw new CsvError(
        this.#recordLine,
        'a quoted field is not closed before the end of the file',
      );
    }
    if (this.#started) this.#endRecord(out);
    return out;
  }

  #scan(text: string, out: CsvRecord[]): void {
    const delimiter = this.#delimiter!;
    const n = text.length;
    let i = 0;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (n > 0 && text.charCodeAt(0) === LF) i = 1;
    }
    if (this.#pendingQuote && n > 0) {
      this.#pendingQuote = false;
      if (text.charCodeAt(0) === QUOTE) {
        this.#append('"');
        i++;
      } else {
        this.#quoted = false;
        this.#closed = true;
      }
    }
    while (i < n) {
      if (this.#quoted) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.#appendCounting(text.slice(i));
          return;
        }
        this.#appendCounting(text.slice(i, q));
        if (q + 1 >= n) {
          this.#pendingQuote = true;
          return;
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          this.#append('"');
          i = q + 2;
        } else {
          this.#quoted = false;
          this.#closed = true;
          i = q + 1;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === delimiter) {
        this.#endField();
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        this.#line++;
        if (this.#started || this.#fields.length > 0) this.#endRecord(out);
        this.#recordLine = this.#line;
        if (c === CR) {
          if (i + 1 >= n) this.#pendingCr = true;
          else if (text.charCodeAt(i + 1) === LF) i++;
        }
        i++;
        continue;
      }
      if (this.#closed) {
        throw new CsvError(this.#line, 'text after the closing quote of a field');
      }
      if (c === QUOTE && this.#field === '') {
        this.#quoted = true;
        this.#started = true;
        i++;
        continue;
      }
      // An unquoted run up to the next delimiter or line end.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === delimiter || d === LF || d === CR) break;
        j++;
      }
      this.#append(text.slice(i, j));
      i = j;
    }
  }

  /** Appends text of a quoted field, counting the line ends inside it. */
  #appendCounting(s: string): void {
    if (s.length === 0) return;
    for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) this.#line++;
    this.#append(s);
  }

  #append(s: string): void {
    this.#started = true;
    this.#recordLength += s.length;
    if (this.#recordLength > this.#maxRecord) {
      throw new CsvError(
        this.#recordLine,
        `a record is longer than ${this.#maxRecord} characters (is a quote left open?)`,
      );
    }
    this.#field += s;
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = '';
    this.#closed = false;
    this.#started = true;
  }

  #endRecord(out: CsvRecord[]): void {
    this.#fields.push(this.#field);
    out.push({ line: this.#recordLine, fields: this.#fields });
    this.#fields = [];
    this.#field = '';
    this.#closed = false;
    this.#started = false;
    this.#recordLength = 0;
  }
}

/**
 * The delimiter of a header line: the most frequent of , ; and tab outside quotes. Null while the
 * line is not complete yet (unless `final`); comma for a line with none of them.
 */
function sniffDelimiter(text: string, final: boolean): number | null {
  const counts = new Map<number, number>([
    [44, 0],
    [59, 0],
    [9, 0],
  ]);
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && (c === LF || c === CR)) return pick(counts);
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  return final ? pick(counts) : null;
}

function pick(counts: Map<number, number>): number {
  let best = 44;
  for (const [c, n] of counts) if (n > counts.get(best)!) best = c;
  return best;
}

/**
 * Reads CSV records from a byte or text stream, in batches (one per chunk of input), decoding
 * UTF-8. Invalid UTF-8 becomes U+FFFD; callers that care (template text) check for it.
 */
export async function* readCsv(
  source: AsyncIterable<Uint8Array | string>,
  options: CsvOptions = {},
): AsyncGenerator<CsvRecord[]> {
  const parser = new CsvParser(options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const records = parser.push(text);
    if (records.length > 0) yield records;
  }
  const rest = parser.push(decoder.decode());
  rest.push(...parser.end());
  if (rest.length > 0) yield rest;
}

/** Parses a whole CSV text at once (tests, small inputs). */
export function parseCsv(text: string, options: CsvOptions = {}): CsvRecord[] {
  const parser = new CsvParser(options);
  return [...parser.push(text), ...parser.end()];
}
