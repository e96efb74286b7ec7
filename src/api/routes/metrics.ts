/**
 * GET /metrics in Prometheus text format, without authentication (like /healthz: scrape it from
 * inside the network; do not expose it publicly). Exempt from rate limits.
 */

import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics.ts';

export function metricsRoutes(metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  };
}
