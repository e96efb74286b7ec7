/**
 * The operator's API: /api/v1/carriers and /api/v1/routes (routing.ts), and /api/v1/admin/session
 * for the web app's Carriers page. Admin credentials only (src/api/plugins/admin.ts): an account's
 * API key or session is refused with 403.
 *
 * A change is written to the store and then applied to this process's carriers at once
 * (`control.sync()`); other processes apply it within `delivery.carrierSyncMs`.
 */

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AuthThrottle } from '../../auth-throttle.ts';
import { type SmppCarrierConfig, SmppCarrierConfigSchema } from '../../carriers/smpp/config.ts';
import { addCarrier, changeCarrier, removeCarrier } from '../../delivery/carrier-admin.ts';
import type { CarrierPool, CarrierView } from '../../delivery/carrier-pool.ts';
import {
  type CarrierInForce,
  type FileCarriers,
  loadInForce,
} from '../../delivery/carrier-state.ts';
import { CallflowError } from '../../errors.ts';
import type { CarrierUsage, Store } from '../../store/types.ts';
import { ADMIN_COOKIE, type AdminAuth } from '../plugins/admin.ts';
import { throttleFailure } from '../plugins/auth.ts';
import { WEB_CLIENT_HEADER, WEB_CLIENT_VALUE } from '../plugins/session.ts';
import { errorResponses, ListOf, NoContent, NullableInteger, Timestamp } from '../schemas.ts';
import { routingRoutes } from './routing.ts';

const tags = ['Carriers (admin)'];
const security = [{ basicAuth: [] }];
const HOUR_MS = 3_600_000;

export interface AdminRouteOptions {
  store: Store;
  /** The config file's carriers and routes (the starting state the store's changes lie over). */
  file: FileCarriers;
  auth: AdminAuth;
  /** This process's carriers; absent in a process that runs none (role api). */
  control?: Pick<CarrierPool, 'views' | 'sync'>;
  clock?: () => Date;
  /** Failed admin authentications count against the per-address throttle of every surface. */
  authThrottle?: AuthThrottle;
}

const Usage = Type.Object({
  carrier: Type.String(),
  messages: Type.Integer(),
  segments: Type.Integer(),
  delivered: Type.Integer(),
  undelivered: Type.Integer(),
  pending: Type.Integer({ description: 'Waiting for their final receipt' }),
  deliveryRate: Type.Union([Type.Number(), Type.Null()], {
    description: 'delivered / (delivered + undelivered); null before any final receipt',
  }),
  deliveryMedianMs: NullableInteger({ description: 'Median submit-to-delivered time, ms' }),
  chargedPaise: Type.Integer({ description: 'What the accounts were charged' }),
  costPaise: NullableInteger({
    description: "segments × the carrier's pricePaise; null when a price is not configured",
  }),
});

const CarrierResource = Type.Object(
  {
    name: Type.String(),
    enabled: Type.Boolean(),
    state: Type.String({ description: 'bound, connecting, disconnected, closed, or disabled' }),
    lastError: Type.Union([Type.String(), Type.Null()]),
    window: Type.Integer(),
    windowInUse: Type.Integer({ description: 'Parts on the wire or waiting for a slot' }),
    segmentsPerSecond: Type.Number({ description: 'Throughput limit' }),
    submitsPerSecond: Type.Number(),
    throttlesPerSecond: Type.Number(),
    source: Type.String({
      description: 'file: as the config file says; live: changed while running',
    }),
    settings: Type.Object(
      {},
      {
        additionalProperties: true,
        description: 'The carrier settings, without the password',
      },
    ),
    lastHour: Usage,
  },
  { title: 'Carrier' },
);

const NameParams = Type.Object({ name: Type.String({ maxLength: 100 }) });

/** What `carrier` cost for `usage`, or null when a type it carried has no price. */
export function carrierCost(config: SmppCarrierConfig | undefined, usage: CarrierUsage) {
  let cost = 0;
  for (const type of ['transactional', 'service', 'promotional'] as const) {
    const segments = usage.segmentsByType[type];
    if (segments === 0) continue;
    const price = config?.pricePaise?.[type];
    if (price === undefined) return null;
    cost += segments * price;
  }
  return cost;
}

export function usageResource(config: SmppCarrierConfig | undefined, u: CarrierUsage) {
  const final = u.delivered + u.undelivered;
  return {
    carrier: u.carrier,
    messages: u.messages,
    segments: u.segments,
    delivered: u.delivered,
    undelivered: u.undelivered,
    pending: u.pending,
    deliveryRate: final === 0 ? null : u.delivered / final,
    deliveryMedianMs: u.deliveryMedianMs,
    chargedPaise: u.chargedPaise,
    costPaise: carrierCost(config, u),
  };
}

function emptyUsage(carrier: string): CarrierUsage {
  return {
    carrier,
    messages: 0,
    segments: 0,
    delivered: 0,
    undelivered: 0,
    pending: 0,
    chargedPaise: 0,
    segmentsByType: { transactional: 0, service: 0, promotional: 0 },
    deliveryMedianMs: null,
  };
}

export function adminRoutes(opts: AdminRouteOptions): FastifyPluginAsync {
  const { store, auth } = opts;
  const clock = opts.clock ?? (() => new Date());
  const secure = (request: FastifyRequest) => request.protocol === 'https';
  const cookie = (value: string, maxAge: number, request: FastifyRequest) =>
    [
      `${ADMIN_COOKIE}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Strict',
      `Max-Age=${maxAge}`,
      ...(secure(request) ? ['Secure'] : []),
    ].join('; ');

  function resource(
    record: CarrierInForce | undefined,
    view: CarrierView | undefined,
    usage: CarrierUsage | undefined,
    name: string,
  ) {
    const config = record?.config ?? undefined;
    const { password: _password, ...settings } = config ?? ({} as Partial<SmppCarrierConfig>);
    return {
      name,
      enabled: record?.enabled ?? view?.enabled ?? true,
      source: record?.source ?? 'file',
      // A process that runs no carriers (role api) cannot see the binds.
      state: view?.state ?? (record?.enabled === false ? 'disabled' : 'unknown'),
      lastError: view?.lastError ?? null,
      window: view?.window ?? config?.window ?? 10,
      windowInUse: view?.windowInUse ?? 0,
      segmentsPerSecond: view?.segmentsPerSecond ?? config?.segmentsPerSecond ?? 100,
      submitsPerSecond: view?.submitsPerSecond ?? 0,
      throttlesPerSecond: view?.throttlesPerSecond ?? 0,
      settings,
      lastHour: usageResource(config, usage ?? emptyUsage(name)),
    };
  }

  async function everything() {
    const until = clock();
    const [state, usage] = await Promise.all([
      loadInForce(store, opts.file),
      store.carriers.usage(new Date(until.getTime() - HOUR_MS), until),
    ]);
    const records = state.carriers.map((c) => ({ ...c, name: c.config.name }));
    const views = new Map((opts.control?.views() ?? []).map((v) => [v.name, v]));
    const used = new Map(usage.map((u) => [u.carrier, u]));
    const byName = new Map(records.map((r) => [r.name, r]));
    // The store's carriers, then any this process runs that the store does not hold (the simulator).
    const names = [
      ...records.map((r) => r.name),
      ...[...views.keys()].filter((n) => !byName.has(n)),
    ];
    return names.map((n) => resource(byName.get(n), views.get(n), used.get(n), n));
  }

  async function one(name: string) {
    const found = (await everything()).find((c) => c.name === name);
    if (!found) throw new CallflowError('NOT_FOUND', `No carrier ${name}.`);
    return found;
  }

  async function applied() {
    await opts.control?.sync();
  }

  return async (app) => {
    app.post(
      '/api/v1/admin/session',
      {
        schema: {
          tags,
          summary:
            'Sign in to the Carriers page with an admin key and token; sets the admin cookie',
          security: [],
          body: Type.Object(
            {
              key: Type.String({ minLength: 1, maxLength: 200 }),
              token: Type.String({ minLength: 1, maxLength: 500 }),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ label: Type.String(), expiresAt: Timestamp }),
            ...errorResponses,
          },
        },
      },
      async (request, reply: FastifyReply) => {
        if (request.headers[WEB_CLIENT_HEADER] !== WEB_CLIENT_VALUE) {
          throw new CallflowError(
            'FORBIDDEN',
            `Sign in from the web app (${WEB_CLIENT_HEADER}: ${WEB_CLIENT_VALUE}).`,
          );
        }
        const { key, token } = request.body as { key: string; token: string };
        const admin = await auth.verify(key, token);
        if (!admin) {
          if (opts.authThrottle) await throttleFailure(opts.authThrottle, request, reply, 'web');
          throw new CallflowError('UNAUTHORIZED', 'Unknown admin key or wrong token.');
        }
        const session = auth.sessionFor(admin);
        reply.header('set-cookie', cookie(session.value, session.maxAgeSeconds, request));
        return { label: admin.label, expiresAt: new Date(session.expiresAt).toISOString() };
      },
    );

    app.delete(
      '/api/v1/admin/session',
      {
        schema: {
          tags,
          summary: 'Sign out of the Carriers page',
          security: [],
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        reply.header('set-cookie', cookie('', 0, request));
        return reply.status(204).send();
      },
    );

    await app.register(async (admin) => {
      admin.addHook('onRequest', async (request, reply) => {
        try {
          await auth.authenticate(request);
        } catch (error) {
          // Wrong credentials, not missing ones: a guess the throttle counts.
          const presented = request.headers.authorization !== undefined || request.headers.cookie;
          if (error instanceof CallflowError && error.code === 'UNAUTHORIZED' && presented) {
            if (opts.authThrottle) await throttleFailure(opts.authThrottle, request, reply, 'api');
          }
          throw error;
        }
      });

      admin.get(
        '/api/v1/carriers',
        {
          schema: {
            tags,
            security,
            summary: 'Every carrier: state, window, throughput and the last hour of deliveries',
            response: { 200: ListOf(CarrierResource), ...errorResponses },
          },
        },
        async () => ({ items: await everything() }),
      );

      admin.get(
        '/api/v1/carriers/usage',
        {
          schema: {
            tags,
            security,
            summary:
              "Per carrier: messages, delivery rate, time to delivery, charged and the carrier's cost",
            querystring: Type.Object({
              since: Type.Optional(Timestamp),
              until: Type.Optional(Timestamp),
            }),
            response: { 200: ListOf(Usage), ...errorResponses },
          },
        },
        async (request) => {
          const q = request.query as { since?: string; until?: string };
          const until = q.until ? new Date(q.until) : clock();
          const since = q.since ? new Date(q.since) : new Date(until.getTime() - 24 * HOUR_MS);
          if (since >= until)
            throw new CallflowError('VALIDATION_FAILED', 'since must be before until.');
          const [state, usage] = await Promise.all([
            loadInForce(store, opts.file),
            store.carriers.usage(since, until),
          ]);
          const configs = new Map(state.carriers.map((c) => [c.config.name, c.config]));
          return { items: usage.map((u) => usageResource(configs.get(u.carrier), u)) };
        },
      );

      admin.get(
        '/api/v1/carriers/:name',
        {
          schema: {
            tags,
            security,
            summary: 'One carrier',
            params: NameParams,
            response: { 200: CarrierResource, ...errorResponses },
          },
        },
        async (request) => one((request.params as { name: string }).name),
      );

      admin.post(
        '/api/v1/carriers',
        {
          schema: {
            tags,
            security,
            summary: 'Add a carrier; it binds at once (unless enabled is false)',
            body: Type.Object(
              {
                ...SmppCarrierConfigSchema.properties,
                enabled: Type.Optional(Type.Boolean({ default: true })),
              },
              { additionalProperties: false },
            ),
            response: { 201: CarrierResource, ...errorResponses },
          },
        },
        async (request, reply) => {
          const { enabled, ...config } = request.body as SmppCarrierConfig & { enabled?: boolean };
          await addCarrier(store, opts.file, config, enabled ?? true);
          await applied();
          return reply.status(201).send(await one(config.name));
        },
      );

      admin.patch(
        '/api/v1/carriers/:name',
        {
          schema: {
            tags,
            security,
            summary:
              'Enable, disable or change a carrier. Disabled: no new messages, unbound once its window has drained. Changed settings: a new bind takes over.',
            params: NameParams,
            body: Type.Object(
              { enabled: Type.Optional(Type.Boolean()) },
              {
                additionalProperties: true,
                description: 'enabled, and any carrier settings to change (as in POST)',
              },
            ),
            response: { 200: CarrierResource, ...errorResponses },
          },
        },
        async (request) => {
          const { name } = request.params as { name: string };
          const { enabled, ...changes } = request.body as Record<string, unknown> & {
            enabled?: boolean;
          };
          await changeCarrier(store, opts.file, name, {
            ...(Object.keys(changes).length > 0 && {
              settings: changes as Partial<SmppCarrierConfig>,
            }),
            ...(enabled !== undefined && { enabled }),
          });
          await applied();
          return one(name);
        },
      );

      admin.delete(
        '/api/v1/carriers/:name',
        {
          schema: {
            tags,
            security,
            summary:
              'Remove a carrier that no route names; it is unbound once its window has drained',
            params: NameParams,
            response: { 204: NoContent, ...errorResponses },
          },
        },
        async (request, reply) => {
          const { name } = request.params as { name: string };
          await removeCarrier(store, opts.file, name);
          await applied();
          return reply.status(204).send();
        },
      );

      await admin.register(routingRoutes({ store, file: opts.file, applied }));
    });
  };
}
