/**
 * /api/v1/flows and /api/v1/applets: flows saved as versions, validated, published; and the applet
 * types the Builder offers. `flowRoutes(deps)` also registers the number and call routes; it is
 * added to buildApp through `extraRoutes`, so it applies authentication itself.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { CallflowError } from '../../errors.ts';
import { APPLETS, appletDefinition, configValidator } from '../../flows/registry.ts';
import { schemaProblems } from '../../flows/schema-errors.ts';
import type { FlowService, FlowView } from '../../flows/service.ts';
import type { FlowRecord, FlowVersionRecord, Store } from '../../store/types.ts';
import { principal } from '../plugins/auth.ts';
import {
  errorResponses,
  ListOf,
  NoContent,
  NullableInteger,
  NullableTimestamp,
  Timestamp,
} from '../schemas.ts';
import { callRoutes } from './calls.ts';
import { numberRoutes } from './numbers.ts';
import { recordingRoutes } from './recordings.ts';

export interface FlowRouteDeps {
  service: FlowService;
  store: Store;
  /** DATA_DIR/recordings: recordings of real calls' conversations. */
  recordingsDir?: string;
}

const tags = ['Flows'];

const FlowBody = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description: 'A flow document: { name?, start, applets, layout? } (docs/flows.md)',
});

const FlowIssue = Type.Object({
  code: Type.String({ description: 'Reason code (docs/errors.md)' }),
  appletId: Type.Optional(Type.String()),
  exit: Type.Optional(Type.String()),
  path: Type.Optional(Type.String({ description: 'JSON pointer into the flow document' })),
  message: Type.String(),
});

export const FlowValidationResource = Type.Object(
  { ok: Type.Boolean(), errors: Type.Array(FlowIssue), warnings: Type.Array(FlowIssue) },
  { title: 'FlowValidation' },
);

const flowSummaryProperties = {
  id: Type.String(),
  name: Type.String(),
  latestVersion: Type.Integer({ description: 'The highest version number' }),
  liveVersion: NullableInteger({
    description: "The published version, which calls to the flow's numbers run",
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  publishedAt: NullableTimestamp,
};
const FlowSummary = Type.Object(flowSummaryProperties, { title: 'FlowSummary' });

const FlowResource = Type.Object(
  {
    ...flowSummaryProperties,
    version: Type.Integer({ description: 'The version shown' }),
    document: Type.Unknown({ description: 'The flow document of that version' }),
    validation: FlowValidationResource,
  },
  { title: 'Flow' },
);

const VersionResource = Type.Object({
  version: Type.Integer(),
  createdAt: Timestamp,
  document: Type.Unknown(),
});

const AppletResource = Type.Object(
  {
    type: Type.String(),
    version: Type.Integer(),
    title: Type.String(),
    description: Type.String(),
    configSchema: Type.Unknown({ description: "JSON Schema of the applet's config" }),
    defaultConfig: Type.Unknown({ description: 'The config of a new applet of this type' }),
    exits: Type.Array(Type.String(), {
      description: 'The exits of the default config; see POST .../exits',
    }),
  },
  { title: 'Applet' },
);

const IdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function summary(f: FlowRecord) {
  return {
    id: f.id,
    name: f.name,
    latestVersion: f.latestVersion,
    liveVersion: f.liveVersion,
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
    publishedAt: iso(f.publishedAt),
  };
}

const resource = (f: FlowView) => ({
  ...summary(f),
  version: f.version,
  document: f.document,
  validation: f.validation,
});
const versionResource = (v: FlowVersionRecord) => ({
  version: v.version,
  createdAt: v.createdAt.toISOString(),
  document: v.document,
});

const appletRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/applets',
    {
      schema: {
        tags,
        summary: 'The applet types, with their config schema and exits (for the Builder)',
        response: { 200: ListOf(AppletResource), ...errorResponses },
      },
    },
    async () => ({
      items: APPLETS.map((a) => ({
        type: a.type,
        version: a.version,
        title: a.title,
        description: a.description,
        configSchema: a.configSchema,
        defaultConfig: a.defaultConfig,
        exits: (a.exits as (config: unknown) => string[])(a.defaultConfig),
      })),
    }),
  );

  app.post(
    '/applets/:type/exits',
    {
      schema: {
        tags,
        summary: "The exits of an applet with this config (an IVR menu's come from its options)",
        params: Type.Object({ type: Type.String() }),
        body: Type.Unknown({ description: 'The applet config' }),
        response: { 200: Type.Object({ exits: Type.Array(Type.String()) }), ...errorResponses },
      },
    },
    async (request) => {
      const def = appletDefinition(request.params.type);
      if (!def)
        throw new CallflowError(
          'FLOW_UNKNOWN_APPLET_TYPE',
          `No applet type ${request.params.type}.`,
        );
      const validator = configValidator(def);
      if (!validator.Check(request.body)) {
        const problems = schemaProblems(def.configSchema, validator.Errors(request.body));
        throw new CallflowError('FLOW_INVALID_CONFIG', problems[0]?.message ?? 'Invalid config.', {
          problems,
        });
      }
      return { exits: def.exits(request.body) };
    },
  );
};

const flowCrudRoutes: FastifyPluginAsyncTypebox<FlowRouteDeps> = async (app, { service }) => {
  app.post(
    '/flows',
    {
      schema: {
        tags,
        summary:
          'Create a flow (its version 1); drafts with errors are kept, with their validation',
        body: FlowBody,
        response: { 201: FlowResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const flow = await service.createFlow(principal(request).sid, { document: request.body });
      return reply.status(201).send(resource(flow));
    },
  );

  app.get(
    '/flows',
    {
      schema: {
        tags,
        summary: 'List flows',
        response: { 200: ListOf(FlowSummary), ...errorResponses },
      },
    },
    async (request) => ({ items: (await service.listFlows(principal(request).sid)).map(summary) }),
  );

  app.get(
    '/flows/:id',
    {
      schema: {
        tags,
        summary: 'A flow: its latest version, or the one asked for',
        params: IdParam,
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: { 200: FlowResource, ...errorResponses },
      },
    },
    async (request) =>
      resource(
        await service.getFlow(principal(request).sid, request.params.id, request.query.version),
      ),
  );

  app.put(
    '/flows/:id',
    {
      schema: {
        tags,
        summary:
          'Save a new version of the flow; the live version changes only when it is published',
        params: IdParam,
        body: FlowBody,
        response: { 200: FlowResource, ...errorResponses },
      },
    },
    async (request) =>
      resource(
        await service.updateFlow(principal(request).sid, request.params.id, {
          document: request.body,
        }),
      ),
  );

  app.delete(
    '/flows/:id',
    {
      schema: {
        tags,
        summary: 'Delete a flow and its versions; its numbers answer no flow; its calls stay',
        params: IdParam,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await service.deleteFlow(principal(request).sid, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/flows/:id/versions',
    {
      schema: {
        tags,
        summary: 'Every version of a flow, newest first',
        params: IdParam,
        response: { 200: ListOf(VersionResource), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await service.listVersions(principal(request).sid, request.params.id)).map(
        versionResource,
      ),
    }),
  );

  app.post(
    '/flows/validate',
    {
      schema: {
        tags,
        summary: "Validate a flow document against the applets and the account's DLT templates",
        body: Type.Unknown(),
        response: { 200: FlowValidationResource, ...errorResponses },
      },
    },
    async (request) => service.validate(principal(request).sid, request.body),
  );

  app.post(
    '/flows/:id/publish',
    {
      schema: {
        tags,
        summary:
          "Make a version (the latest by default) live on the flow's numbers; refused if it does not validate",
        params: IdParam,
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: { 200: FlowResource, ...errorResponses },
      },
    },
    async (request) =>
      resource(
        await service.publish(principal(request).sid, request.params.id, request.query.version),
      ),
  );
};

/** The flow, applet, number and call routes under /api/v1, authenticated; for ApiDeps.extraRoutes. */
export function flowRoutes(deps: FlowRouteDeps): FastifyPluginAsync {
  return async (app) => {
    await app.register(
      async (api) => {
        api.addHook('onRequest', api.authenticate);
        await api.register(appletRoutes);
        await api.register(flowCrudRoutes, deps);
        await api.register(numberRoutes, deps);
        await api.register(callRoutes, deps);
        await api.register(recordingRoutes, deps);
      },
      { prefix: '/api/v1' },
    );
  };
}
