/**
 * The HTTP API as an app factory: `buildApp(deps)` returns a Fastify instance with every route,
 * the error handler, authentication and the OpenAPI document, ready for `inject()` in tests or
 * `listen()` in the server. It opens no sockets and starts no background work.
 */

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import pkg from '../../package.json' with { type: 'json' };
import { createAuthThrottle } from '../auth-throttle.ts';
import { createMetrics, reportAuthRefusal } from '../metrics.ts';
import { API_SETTINGS_DEFAULTS } from './config.ts';
import { createApiKeyAuth, installAuth } from './plugins/auth.ts';
import { bodyValidators, installBodyParsers } from './plugins/body.ts';
import { frameworkErrors, installErrorHandling } from './plugins/errors.ts';
import { installInputChecks } from './plugins/input.ts';
import { installRateLimit } from './plugins/rate-limit.ts';
import { createRegistryCache } from './prechecks.ts';
import { accountRoutes } from './routes/account.ts';
import type { RouteContext } from './routes/context.ts';
import { dltEntityRoutes } from './routes/dlt-entities.ts';
import { dltTemplateRoutes } from './routes/dlt-templates.ts';
import { dndRoutes } from './routes/dnd.ts';
import { exotelRoutes } from './routes/exotel.ts';
import { healthRoutes } from './routes/health.ts';
import { importRoutes } from './routes/imports.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { reportRoutes } from './routes/reports.ts';
import { smsRoutes } from './routes/sms.ts';
import type { ApiDeps } from './types.ts';

const MiB = 1024 * 1024;

export const API_DEFAULTS = {
  bodyLimitBytes: API_SETTINGS_DEFAULTS.bodyLimitBytes,
  bulkBodyLimitBytes: 8 * MiB,
  authCacheTtlMs: 5_000,
  registryCacheTtlMs: 5_000,
  // Off for an app built without the server (tests, embedding); `callflow serve` passes its `api.rateLimitPerMinute`.
  rateLimitPerMinute: 0,
} as const;

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? (() => new Date());
  const now = () => clock().getTime();
  const config = { ...API_DEFAULTS, swaggerUi: true, ...deps.config };

  const app = Fastify({
    ...(deps.loggerInstance !== undefined
      ? { loggerInstance: deps.loggerInstance }
      : { logger: deps.logger ?? false }),
    bodyLimit: config.bodyLimitBytes,
    ajv: {
      // Report every schema violation at once, so a client fixes its request in one round.
      customOptions: { allErrors: true },
      onCreate: (ajv) => {
        // RFC 3339 admits a leap second (23:59:60), which a Date cannot hold: the routes would
        // read it as an Invalid Date. A date-time must also be one that Date can parse.
        const rfc3339 = ajv.formats['date-time'] as { validate: (text: string) => boolean };
        ajv.addFormat('date-time', {
          type: 'string',
          validate: (text: string) => rfc3339.validate(text) && !Number.isNaN(Date.parse(text)),
        });
      },
    },
    schemaController: { compilersFactory: { buildValidator: bodyValidators() } },
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  installInputChecks(app);
  installBodyParsers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'callflow API',
        version: pkg.version,
        description:
          'Send DLT-compliant SMS, follow their delivery, and manage the DLT registry, DND list and account. ' +
          'Errors are { code, message, details? } with stable codes (docs/errors.md).',
      },
      components: {
        securitySchemes: {
          basicAuth: {
            type: 'http',
            scheme: 'basic',
            description: 'API key as the user name, its token as the password',
          },
        },
      },
      security: [{ basicAuth: [] }],
    },
  });
  if (config.swaggerUi) await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const metrics = deps.metrics ?? createMetrics({ store: deps.store, clock });
  const authThrottle =
    deps.authThrottle ??
    createAuthThrottle({ now, onRefused: reportAuthRefusal({ metrics, log: app.log }) });
  const apiKeys = createApiKeyAuth({ store: deps.store, now, ttlMs: config.authCacheTtlMs });
  installAuth(app, [apiKeys.authenticate, ...(deps.authenticators ?? [])], authThrottle);
  installRateLimit(app, { perMinute: config.rateLimitPerMinute, now });

  const ctx: RouteContext = {
    store: deps.store,
    sender: deps.sender,
    clock,
    registry: createRegistryCache({ store: deps.store, now, ttlMs: config.registryCacheTtlMs }),
    apiKeys,
    readiness: deps.readiness,
    bulkBodyLimitBytes: config.bulkBodyLimitBytes,
  };

  await app.register(healthRoutes, ctx);
  await app.register(
    async (api) => {
      api.addHook('onRequest', api.authenticate);
      // The tenant API speaks JSON (and forms); a text body is a mistake worth a clear 415.
      api.removeContentTypeParser('text/plain');
      await api.register(smsRoutes, ctx);
      await api.register(dltEntityRoutes, ctx);
      await api.register(dltTemplateRoutes, ctx);
      await api.register(dndRoutes, ctx);
      await api.register(accountRoutes, ctx);
      await api.register(importRoutes, ctx);
      await api.register(reportRoutes, ctx);
    },
    { prefix: '/api/v1' },
  );
  await app.register(exotelRoutes, ctx);
  await app.register(metricsRoutes(metrics));
  for (const extra of deps.extraRoutes ?? []) await app.register(extra);
  return app;
}
