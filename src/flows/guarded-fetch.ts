/**
 * fetch for Passthru behind the SSRF guard (src/delivery/ssrf.ts): the URL must be http(s), its
 * host is resolved and every address checked, and the request connects to the address that was
 * checked, so a DNS answer that changes in between (rebinding) cannot lead it inside. Built on
 * node:http because the global fetch cannot be told which address to connect to.
 */

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  type Lookup,
  type OutboundPolicy,
  parseOutboundUrl,
  pinnedLookup,
  resolveOutbound,
} from '../delivery/ssrf.ts';
import type { FetchGuarded } from './types.ts';

/** Larger answers are cut here; Passthru reads at most 64 KiB of them anyway. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const NO_BODY_STATUSES = new Set([101, 204, 205, 304]);

export interface GuardedFetchLimits {
  /** Bodies are read up to this many bytes (default 1 MiB). */
  maxResponseBytes?: number;
  /** `cut` (default): a longer body is cut at the limit; `fail`: the fetch rejects with ResponseTooLarge. */
  oversize?: 'cut' | 'fail';
}

/** A response body was longer than the fetch's limit (with `oversize: 'fail'`). */
export class ResponseTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`the response is larger than ${limit} bytes`);
    this.name = 'ResponseTooLarge';
    this.limit = limit;
  }
}

export function createGuardedFetch(
  policy: OutboundPolicy,
  lookup?: Lookup,
  limits: GuardedFetchLimits = {},
): FetchGuarded {
  const maxBytes = limits.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const failOversize = limits.oversize === 'fail';
  return async (raw, init) => {
    const url = parseOutboundUrl(raw);
    init.signal?.throwIfAborted();
    const checked = await resolveOutbound(url, policy, lookup);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') body = init.body;
    else if (init.body !== undefined && init.body !== null)
      throw new TypeError('only string and form bodies are supported');
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          lookup: pinnedLookup(checked) as never,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          readBody(res, maxBytes, failOversize).then(
            (bytes) => resolve(toResponse(res, bytes)),
            reject,
          );
        },
      );
      req.on('error', (error) => reject(init.signal?.aborted ? init.signal.reason : error));
      req.end(body);
    });
  };
}

async function readBody(
  res: IncomingMessage,
  maxBytes: number,
  failOversize: boolean,
): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (failOversize && declared > maxBytes) {
    res.destroy();
    throw new ResponseTooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      if (failOversize) throw new ResponseTooLarge(maxBytes);
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toResponse(res: IncomingMessage, bytes: Buffer): Response {
  const status = res.statusCode ?? 500;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return new Response(NO_BODY_STATUSES.has(status) ? null : new Uint8Array(bytes), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
}
