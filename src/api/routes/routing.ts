/**
 * /api/v1/routes: the ordered routing table (src/carriers/routing.ts), admin credentials only
 * (registered inside the admin scope of carriers.ts). Every change writes the whole table in one
 * transaction, so workers switch from the old table to the new one at once, never to half of it.
 */

import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import {
  ROUTE_NAME_PATTERN,
  type Route,
  RouteMatchSchema,
  RouteSchema,
  RouteStrategySchema,
} from '../../carriers/routing.ts';
import { saveRoutes } from '../../delivery/carrier-admin.ts';
import { type FileCarriers, loadInForce } from '../../delivery/carrier-state.ts';
import { CallflowError } from '../../errors.ts';
import type { Store } from '../../store/types.ts';
import { errorResponses, ListOf, NoContent } from '../schemas.ts';

const tags = ['Carriers (admin)'];
const security = [{ basicAuth: [] }];
const NameParams = Type.Object({ name: Type.String({ pattern: ROUTE_NAME_PATTERN }) });

export function routingRoutes(opts: {
  store: Store;
  file: FileCarriers;
  /** Applies a change to this process's carriers. */
  applied: () => Promise<void>;
}): FastifyPluginAsync {
  const { store } = opts;

  /** Checks the new table against the carriers in force, writes it and applies it. */
  async function save(routes: Route[]) {
    await saveRoutes(store, opts.file, routes);
    await opts.applied();
  }

  async function current(): Promise<Route[]> {
    return (await loadInForce(store, opts.file)).routes;
  }

  function indexOf(routes: Route[], name: string): number {
    const i = routes.findIndex((r) => r.name === name);
    if (i < 0) throw new CallflowError('NOT_FOUND', `No route ${name}.`);
    return i;
  }

  return async (app) => {
    app.get(
      '/api/v1/routes',
      {
        schema: {
          tags,
          security,
          summary: 'The routing table, in order: the first route whose match fits decides',
          response: { 200: ListOf(RouteSchema), ...errorResponses },
        },
      },
      async () => ({ items: await current() }),
    );

    app.put(
      '/api/v1/routes',
      {
        schema: {
          tags,
          security,
          summary:
            'Replace the whole routing table at once ([] routes every message to every carrier)',
          body: ListOf(RouteSchema),
          response: { 200: ListOf(RouteSchema), ...errorResponses },
        },
      },
      async (request) => {
        await save((request.body as { items: Route[] }).items);
        return { items: await current() };
      },
    );

    app.post(
      '/api/v1/routes',
      {
        schema: {
          tags,
          security,
          summary: 'Add a route, at the end or at `position` (1 = first)',
          body: Type.Object(
            { ...RouteSchema.properties, position: Type.Optional(Type.Integer({ minimum: 1 })) },
            { additionalProperties: false },
          ),
          response: { 201: RouteSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { position, ...route } = request.body as Route & { position?: number };
        const routes = await current();
        if (routes.some((r) => r.name === route.name))
          throw new CallflowError('CONFLICT', `A route named ${route.name} exists.`);
        routes.splice(Math.min(position ?? routes.length + 1, routes.length + 1) - 1, 0, route);
        await save(routes);
        return reply.status(201).send(route);
      },
    );

    app.patch(
      '/api/v1/routes/:name',
      {
        schema: {
          tags,
          security,
          summary: 'Change a route (its match, carriers, strategy or weights)',
          params: NameParams,
          body: Type.Object(
            {
              match: Type.Optional(RouteMatchSchema),
              carriers: Type.Optional(RouteSchema.properties.carriers),
              strategy: Type.Optional(RouteStrategySchema),
              weights: Type.Optional(RouteSchema.properties.weights),
            },
            { additionalProperties: false },
          ),
          response: { 200: RouteSchema, ...errorResponses },
        },
      },
      async (request) => {
        const { name } = request.params as { name: string };
        const routes = await current();
        const i = indexOf(routes, name);
        const changed = { ...routes[i]!, ...(request.body as Partial<Route>), name };
        // Weights belong to the weighted strategy: leaving it drops them.
        if (changed.strategy !== 'weighted' && !(request.body as Partial<Route>).weights)
          delete changed.weights;
        routes[i] = changed;
        await save(routes);
        return changed;
      },
    );

    app.delete(
      '/api/v1/routes/:name',
      {
        schema: {
          tags,
          security,
          summary: 'Remove a route',
          params: NameParams,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const routes = await current();
        routes.splice(indexOf(routes, (request.params as { name: string }).name), 1);
        await save(routes);
        return reply.status(204).send();
      },
    );
  };
}
