/**
 * SIP messages (RFC 3261 §7, §20, §25): a strict, bounded parser and a serialiser.
 *
 * The parser takes one whole message (a UDP datagram, or one message cut from a TCP stream by
 * `frameStream`) and either returns it or throws SipParseError; nothing it is given can make it
 * allocate more than the limits below. Header names are kept lower-case and in their long form
 * (`v` → `via`), values in order of appearance; multi-value headers written comma-separated are
 * split only where the grammar allows (Via, Route, Record-Route, Contact).
 */

/** Largest message accepted, bytes (a UDP datagram cannot be larger anyway). */
export const MAX_MESSAGE_BYTES = 65_535;
/** Largest header section, bytes. */
export const MAX_HEADER_BYTES = 16_384;
/** Largest single header line (after unfolding), bytes. */
export const MAX_HEADER_LINE_BYTES = 4096;
/** Most header lines in one message. */
export const MAX_HEADERS = 100;
/** Largest body, bytes. */
export const MAX_BODY_BYTES = 32_768;

export class SipParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipParseError';
  }
}

export type Headers = Map<string, string[]>;

interface MessageBase {
  headers: Headers;
  body: string;
}

export interface SipRequest extends MessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends MessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
};

/** Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1). */
const LIST_HEADERS = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported']);

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const REQUEST_LINE = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/;

/** Canonical spelling of header names when serialising. */
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'p-asserted-identity': 'P-Asserted-Identity',
  'record-route': 'Record-Route',
};

function canonicalName(name: string): string {
  return CANONICAL[name] ?? name.replace(/(^|-)([a-z])/g, (_m, dash, c) => dash + c.toUpperCase());
}

/** Splits at commas that are not inside quotes or angle brackets. */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === ',' && depthAngle === 0) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/**
 * Parses one message. `datagram` (UDP): a body longer than Content-Length is cut to it (RFC 3261
 * §18.3); shorter is an error. Without `datagram` the buffer must hold exactly one message.
 */
export function parseMessage(data: Buffer, options: { datagram?: boolean } = {}): SipMessage {
  if (data.length > MAX_MESSAGE_BYTES) throw new SipParseError('message too large');
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) {
    throw new SipParseError(
      data.length > MAX_HEADER_BYTES ? 'header section too large' : 'no end of headers',
    );
  }
  if (end > MAX_HEADER_BYTES) throw new SipParseError('header section too large');
  const head = data.subarray(0, end).toString('utf8');
  const bodyBytes = data.subarray(end + 4);
  const lines = head.split('\r\n');
  const first = lines.shift() ?? '';
  const headers: Headers = new Map();
  let count = 0;
  let current: string | undefined;
  const entries: string[] = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Folded continuation (RFC 3261 §7.3.1).
      if (current === undefined) throw new SipParseError('continuation without a header');
      current += ` ${line.trim()}`;
      if (current.length > MAX_HEADER_LINE_BYTES) throw new SipParseError('header line too long');
      continue;
    }
    if (current !== undefined) entries.push(current);
    current = line;
    if (current.length > MAX_HEADER_LINE_BYTES) throw new SipParseError('header line too long');
    if (++count > MAX_HEADERS) throw new SipParseError('too many headers');
  }
  if (current !== undefined) entries.push(current);
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new SipParseError('malformed header line');
    const rawName = entry.slice(0, colon).trim();
    if (!TOKEN.test(rawName)) throw new SipParseError('malformed header name');
    const lower = rawName.toLowerCase();
    const name = COMPACT[lower] ?? lower;
    const value = entry.slice(colon + 1).trim();
    const values = LIST_HEADERS.has(name) ? splitList(value) : [value];
    const list = headers.get(name);
    if (list) list.push(...values);
    else headers.set(name, values);
  }

  let message: SipMessage;
  const request = REQUEST_LINE.exec(first);
  if (request) {
    message = { kind: 'request', method: request[1]!, uri: request[2]!, headers, body: '' };
  } else {
    const status = STATUS_LINE.exec(first);
    if (!status) throw new SipParseError('malformed start line');
    message = {
      kind: 'response',
      status: Number(status[1]),
      reason: status[2]!,
      headers,
      body: '',
    };
  }

  const lengthHeader = headers.get('content-length');
  let length: number;
  if (lengthHeader === undefined) {
    // Only a datagram may leave it out (its end is the message's end).
    if (!options.datagram) throw new SipParseError('missing Content-Length');
    length = bodyBytes.length;
  } else {
    if (lengthHeader.length !== 1 || !/^\d{1,6}$/.test(lengthHeader[0]!)) {
      throw new SipParseError('malformed Content-Length');
    }
    length = Number(lengthHeader[0]);
  }
  if (length > MAX_BODY_BYTES) throw new SipParseError('body too large');
  if (bodyBytes.length < length) throw new SipParseError('body shorter than Content-Length');
  if (bodyBytes.length > length && !options.datagram) {
    throw new SipParseError('body longer than Content-Length');
  }
  message.body = bodyBytes.subarray(0, length).toString('utf8');
  checkMandatory(message);
  return message;
}

/** The headers every request and response must carry (RFC 3261 §8.1.1), and a sane CSeq. */
function checkMandatory(message: SipMessage): void {
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!message.headers.get(name)?.length) throw new SipParseError(`missing ${name} header`);
  }
  for (const name of ['from', 'to', 'call-id', 'cseq']) {
    if (message.headers.get(name)!.length !== 1) {
      throw new SipParseError(`more than one ${name} header`);
    }
  }
  const cseq = parseCSeq(message.headers.get('cseq')![0]!);
  if (message.kind === 'request') {
    if (cseq.method !== message.method) throw new SipParseError('CSeq method does not match');
    if (!/^sips?:/i.test(message.uri)) throw new SipParseError('unsupported Request-URI scheme');
  }
  parseVia(message.headers.get('via')![0]!);
}

/**
 * Cuts whole messages from a TCP byte stream (RFC 3261 §18.3: Content-Length frames them).
 * Returns the messages found and the bytes left over; throws SipParseError when the stream can no
 * longer be framed (the connection should then be closed).
 */
export function frameStream(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let rest = buffer;
  for (;;) {
    // Keep-alive CRLFs between messages (RFC 5626 §3.5.1).
    let skip = 0;
    while (rest.length >= skip + 2 && rest[skip] === 0x0d && rest[skip + 1] === 0x0a) skip += 2;
    rest = rest.subarray(skip);
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) {
      if (rest.length > MAX_HEADER_BYTES) throw new SipParseError('header section too large');
      return { messages, rest };
    }
    if (end > MAX_HEADER_BYTES) throw new SipParseError('header section too large');
    const head = rest.subarray(0, end).toString('utf8');
    const match = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,6})[ \t]*(?:\r\n|$)/i.exec(head);
    if (!match) throw new SipParseError('missing Content-Length');
    const length = Number(match[1]);
    if (length > MAX_BODY_BYTES) throw new SipParseError('body too large');
    const total = end + 4 + length;
    if (rest.length < total) return { messages, rest };
    messages.push(rest.subarray(0, total));
    rest = rest.subarray(total);
  }
}

export function serialize(message: SipMessage): Buffer {
  const body = Buffer.from(message.body, 'utf8');
  const first =
    message.kind === 'request'
      ? `${message.method} ${message.uri} SIP/2.0`
      : `SIP/2.0 ${message.status} ${message.reason}`;
  const lines = [first];
  for (const [name, values] of message.headers) {
    if (name === 'content-length') continue;
    for (const value of values) lines.push(`${canonicalName(name)}: ${value}`);
  }
  lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

export function header(message: SipMessage, name: string): string | undefined {
  return message.headers.get(name)?.[0];
}

// ---- header grammars ---------------------------------------------------------------------------

export interface Via {
  transport: string;
  host: string;
  port: number | undefined;
  params: Map<string, string>;
}

export function parseVia(value: string): Via {
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)$/.exec(value);
  if (!match) throw new SipParseError('malformed Via');
  const { host, port } = parseHostPort(match[2]!);
  return { transport: match[1]!.toUpperCase(), host, port, params: parseParams(match[3]!) };
}

export function parseHostPort(value: string): { host: string; port: number | undefined } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) throw new SipParseError('malformed host');
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65_535)) throw new SipParseError('bad port');
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** `;a=b;c` → {a: 'b', c: ''}, names lower-cased. */
export function parseParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of value.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) params.set(trimmed.toLowerCase(), '');
    else params.set(trimmed.slice(0, eq).trim().toLowerCase(), trimmed.slice(eq + 1).trim());
  }
  return params;
}

export function parseCSeq(value: string): { seq: number; method: string } {
  const match = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (!match) throw new SipParseError('malformed CSeq');
  const seq = Number(match[1]);
  if (seq > 2 ** 31 - 1) throw new SipParseError('CSeq out of range');
  return { seq, method: match[2]! };
}

export interface SipUri {
  scheme: 'sip' | 'sips';
  user: string | undefined;
  host: string;
  port: number | undefined;
  params: Map<string, string>;
}

export function parseUri(value: string): SipUri {
  const match = /^(sips?):(?:([^@;?]+)@)?([^;?]+)([^?]*)/i.exec(value.trim());
  if (!match) throw new SipParseError('malformed SIP URI');
  const userinfo = match[2];
  const user = userinfo === undefined ? undefined : decodeUser(userinfo.split(':')[0]!);
  const { host, port } = parseHostPort(match[3]!);
  return {
    scheme: match[1]!.toLowerCase() as 'sip' | 'sips',
    user,
    host,
    port,
    params: parseParams(match[4]!),
  };
}

function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    throw new SipParseError('malformed user part');
  }
}

export interface NameAddr {
  display: string | undefined;
  uri: string;
  params: Map<string, string>;
}

/** From, To, Contact, P-Asserted-Identity, Route: `"Name" <uri>;params` or `uri;params`. */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  const open = v.indexOf('<');
  if (open >= 0) {
    const close = v.indexOf('>', open);
    if (close < 0) throw new SipParseError('malformed address');
    const display = v.slice(0, open).trim().replace(/^"|"$/g, '') || undefined;
    return {
      display,
      uri: v.slice(open + 1, close).trim(),
      params: parseParams(v.slice(close + 1)),
    };
  }
  // addr-spec form: parameters after the URI belong to the header (RFC 3261 §20.10).
  const semi = v.indexOf(';');
  const uri = semi < 0 ? v : v.slice(0, semi);
  if (uri === '') throw new SipParseError('malformed address');
  return { display: undefined, uri, params: parseParams(semi < 0 ? '' : v.slice(semi)) };
}

/** The `tag` parameter of a From or To header. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tag = parseNameAddr(value).params.get('tag');
  return tag === '' ? undefined : tag;
}
