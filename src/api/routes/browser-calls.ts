/**
 * /api/v1/browser-calls: signalling of the Builder's test call from the browser's microphone.
 *
 * - POST /api/v1/browser-calls {to, offer}: the page's complete SDP offer (ICE gathered, no
 *   trickle) for a call to one of the account's ExoPhones; answers the call's SID and rtpengine's
 *   SDP answer. The call runs the live flow at once.
 * - GET /api/v1/browser-calls/:callSid/events: server-sent events while the call runs: `progress`
 *   (the log so far: steps and SMS, for the canvas) and `ended` (who ended it; the page closes its
 *   peer connection). The SMS statuses and the saved call come from GET /api/v1/events as for any
 *   call.
 * - POST /api/v1/browser-calls/:callSid/hangup: the page hangs up.
 *
 * Every route needs the account's session (or API key); a call is visible to its account only,
 * and a state-changing request with the session cookie carries the web app's CSRF header
 * (src/api/plugins/session.ts).
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CallflowError } from '../../errors.ts';
import type { BrowserCalls } from '../../flows/browser-calls.ts';
import { principal } from '../plugins/auth.ts';
import { errorResponses, NoContent } from '../schemas.ts';

const tags = ['Calls'];

/** An SDP offer from a browser is a few kilobytes; this leaves room and bounds the work. */
const MAX_OFFER_CHARS = 64 * 1024;
/** Keep-alive comment interval of the events stream, ms. */
const HEARTBEAT_MS = 15_000;

export interface BrowserCallRouteDeps {
  /** Null when real calls are off in this process (sip.enabled false). */
  browserCalls: BrowserCalls | null;
}

const CallSidParams = Type.Object({ callSid: Type.String({ minLength: 1, maxLength: 64 }) });

export function browserCallRoutes(deps: BrowserCallRouteDeps): FastifyPluginAsyncTypebox {
  const required = (): BrowserCalls => {
    if (deps.browserCalls === null) {
      throw new CallflowError(
        'BROWSER_CALL_UNAVAILABLE',
        'Calls from the browser need real calls, which are off here (sip.enabled is false).',
      );
    }
    return deps.browserCalls;
  };

  return async (app) => {
    app.post(
      '/api/v1/browser-calls',
      {
        onRequest: app.authenticate,
        schema: {
          tags,
          summary: "Places a test call from the browser's microphone (WebRTC) to an ExoPhone",
          body: Type.Object(
            {
              to: Type.String({ minLength: 1, maxLength: 32, description: 'The ExoPhone to call' }),
              from: Type.Optional(
                Type.String({
                  maxLength: 32,
                  description:
                    "The caller's number the flow sees ({CallFrom}, SMS to the caller); absent: withheld",
                }),
              ),
              offer: Type.String({
                minLength: 1,
                maxLength: MAX_OFFER_CHARS,
                description: "The page's SDP offer, with its ICE candidates gathered",
              }),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              callSid: Type.String(),
              answer: Type.String({ description: 'The SDP answer' }),
              codec: Type.String({ description: 'Audio codec of the call' }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const started = await required().start({
          accountSid: principal(request).sid,
          to: request.body.to,
          ...(request.body.from === undefined ? {} : { from: request.body.from }),
          offer: request.body.offer,
        });
        return reply.status(201).send(started);
      },
    );

    app.post(
      '/api/v1/browser-calls/:callSid/hangup',
      {
        onRequest: app.authenticate,
        schema: {
          tags,
          summary: 'Hangs up a test call from the browser',
          params: CallSidParams,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        if (!required().hangup(principal(request).sid, request.params.callSid)) {
          throw new CallflowError(
            'NOT_FOUND',
            `No browser call ${request.params.callSid} in progress.`,
          );
        }
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/browser-calls/:callSid/events',
      {
        onRequest: app.authenticate,
        schema: {
          tags,
          summary: 'Server-sent events of a test call from the browser while it runs',
          description:
            'Events: `progress` ({log: {steps, sms}}), `ended` ({by: page-hangup | our-hangup}). Answers text/event-stream.',
          params: CallSidParams,
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const accountSid = principal(request).sid;
        const { callSid } = request.params;
        const browserCalls = required();
        const pending: string[] = [];
        let out: typeof reply.raw | undefined;
        let finished = false;
        let stopFollowing: (() => void) | undefined;
        const write = (text: string) => {
          if (out) out.write(text);
          else pending.push(text);
        };
        const end = () => {
          if (finished) return;
          finished = true;
          clearInterval(heartbeat);
          stopFollowing?.();
          out?.end();
        };
        const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
        heartbeat.unref();
        stopFollowing = browserCalls.follow(accountSid, callSid, (event) => {
          write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
          if (event.type === 'ended') queueMicrotask(end);
        });
        if (stopFollowing === undefined) {
          clearInterval(heartbeat);
          throw new CallflowError('NOT_FOUND', `No browser call ${callSid} in progress.`);
        }
        reply.hijack();
        out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        for (const text of pending.splice(0)) out.write(text);
        request.raw.on('close', end);
        if (finished) out.end();
      },
    );
  };
}
