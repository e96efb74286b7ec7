/**
 * GET /api/v1/events?callSid=…: server-sent events that follow one call for the Builder's test
 * panel: `call` (the call with its log, whenever its status changes), `sms` (a message of the call
 * with its transitions and parts, whenever its status changes) and `end` (the call has ended and
 * every SMS it produced reached a final status; the stream closes).
 *
 * The stream polls the store (every 250 ms by default) rather than listening to the runtime or
 * the workers: calls and deliveries may run in other processes, and the store is what they share.
 * It gives up after `maxMs` (5 minutes) and sends a comment every 15 s to keep proxies from
 * closing an idle connection.
 */

import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { CallflowError } from '../../errors.ts';
import { FINAL_STATUSES, type Message, type Store } from '../../store/types.ts';
import { principal } from '../plugins/auth.ts';
import { toMessageDetail, toMessageResource } from '../resources.ts';
import { errorResponses } from '../schemas.ts';

export const EVENTS_DEFAULTS = {
  /** How often the store is read, ms. */
  pollMs: 250,
  /** How long one stream lasts at most, ms. */
  maxMs: 5 * 60 * 1000,
  /** Keep-alive comment interval, ms. */
  heartbeatMs: 15_000,
} as const;

/** The SMS of one call listed in its events, at most. */
const MAX_CALL_SMS = 100;

export interface EventRouteOptions {
  store: Store;
  pollMs?: number;
  maxMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function eventRoutes(opts: EventRouteOptions): FastifyPluginAsync {
  const { store } = opts;
  const pollMs = opts.pollMs ?? EVENTS_DEFAULTS.pollMs;
  const maxMs = opts.maxMs ?? EVENTS_DEFAULTS.maxMs;

  return async (app) => {
    app.get(
      '/api/v1/events',
      {
        onRequest: app.authenticate,
        schema: {
          tags: ['Calls'],
          summary:
            'Server-sent events following one call: its log and the status of each SMS it produced',
          description:
            'Events: `call` (the call as GET /api/v1/calls/:sid shows it), `sms` (as GET /api/v1/sms/:sid), `end`. ' +
            'Answers text/event-stream.',
          querystring: Type.Object({ callSid: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const accountSid = principal(request).sid;
        const { callSid } = request.query as { callSid: string };
        // Unknown (or another account's) call: a plain 404 before the stream starts.
        if ((await store.calls.get(accountSid, callSid)) === undefined) {
          throw new CallflowError('NOT_FOUND', `No call ${callSid}.`);
        }

        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        let closed = false;
        request.raw.on('close', () => {
          closed = true;
        });
        const send = (event: string, data: unknown) => {
          if (!closed) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };

        const seenCall = { status: '', endedAt: '' };
        const seenSms = new Map<string, string>();
        const started = Date.now();
        let lastWrite = Date.now();
        try {
          while (!closed && Date.now() - started < maxMs) {
            const call = await store.calls.get(accountSid, callSid);
            if (call === undefined) break;
            const page = await store.messages.list(accountSid, { callSid }, null, MAX_CALL_SMS);
            const messages = page.items.sort(
              (a, b) => a.createdAt.getTime() - b.createdAt.getTime(),
            );
            const endedAt = call.endedAt?.toISOString() ?? '';
            if (call.status !== seenCall.status || endedAt !== seenCall.endedAt) {
              seenCall.status = call.status;
              seenCall.endedAt = endedAt;
              send('call', {
                sid: call.sid,
                flowId: call.flowId,
                flowVersion: call.flowVersion,
                from: call.from,
                to: call.to,
                status: call.status,
                endReason: call.endReason,
                startedAt: call.startedAt.toISOString(),
                endedAt: call.endedAt?.toISOString() ?? null,
                origin: call.origin,
                log: call.log,
                sms: messages.map(toMessageResource),
              });
              lastWrite = Date.now();
            }
            for (const message of messages) {
              const version = `${message.status}:${message.updatedAt.getTime()}`;
              if (seenSms.get(message.sid) === version) continue;
              seenSms.set(message.sid, version);
              send('sms', await detail(message));
              lastWrite = Date.now();
            }
            if (
              call.status === 'completed' &&
              messages.every((m) => FINAL_STATUSES.includes(m.status))
            ) {
              send('end', { callSid });
              break;
            }
            if (Date.now() - lastWrite > EVENTS_DEFAULTS.heartbeatMs) {
              if (!closed) out.write(': keep-alive\n\n');
              lastWrite = Date.now();
            }
            await sleep(pollMs);
          }
        } catch (error) {
          request.log.error({ err: error }, 'event stream failed');
          send('error', { code: 'INTERNAL_ERROR' });
        } finally {
          out.end();
        }
      },
    );
  };

  async function detail(message: Message) {
    const [transitions, parts] = await Promise.all([
      store.messages.transitions(message.sid),
      store.messages.parts(message.sid),
    ]);
    return toMessageDetail(message, transitions, parts);
  }
}
