/**
 * /healthz (the process is up) and /readyz (it can do its work: the store answers and, in a process
 * that runs carriers, the readiness probe says the binds are fit). No authentication: these are for
 * load balancers and orchestrators.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SipReadiness } from '../types.ts';
import type { RouteContext } from './context.ts';

const ReadyResource = Type.Object({
  ready: Type.Boolean(),
  store: Type.Object({
    ok: Type.Boolean(),
    dialect: Type.String(),
    error: Type.Optional(Type.String()),
  }),
  carriers: Type.Array(
    Type.Object({ name: Type.String(), state: Type.String(), ready: Type.Boolean() }),
  ),
  /** Present when SIP is on: real calls need rtpengine too; without it the rest still works. */
  sip: Type.Optional(
    Type.Object({
      listening: Type.String(),
      realCalls: Type.Boolean(),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

/**
 * The API app registers these with its route context; a worker process, which serves no API,
 * registers the same plugin with its store and readiness probe.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<
  Pick<RouteContext, 'store' | 'readiness'>
> = async (app, ctx) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Health'],
        security: [],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['Health'],
        security: [],
        summary: 'Readiness: the store answers and the carrier binds are fit (503 otherwise)',
        response: { 200: ReadyResource, 503: ReadyResource },
      },
    },
    async (request, reply) => {
      const store: { ok: boolean; dialect: string; error?: string } = {
        ok: true,
        dialect: ctx.store.dialect,
      };
      try {
        await ctx.store.ping();
      } catch (err) {
        request.log.warn({ err }, 'store ping failed');
        store.ok = false;
        store.error = 'store unreachable';
      }
      let carriers: { name: string; state: string; ready: boolean }[] = [];
      let carriersReady = true;
      let sip: SipReadiness | undefined;
      if (ctx.readiness !== undefined) {
        try {
          const report = await ctx.readiness();
          carriers = report.carriers;
          carriersReady = report.ready;
          sip = report.sip;
        } catch (err) {
          request.log.warn({ err }, 'readiness probe failed');
          carriersReady = false;
        }
      }
      const ready = store.ok && carriersReady;
      return reply
        .status(ready ? 200 : 503)
        .send({ ready, store, carriers, ...(sip === undefined ? {} : { sip }) });
    },
  );
};
