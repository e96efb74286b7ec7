/**
 * /api/v1/account: the authenticated account, its ledger, its API keys and its webhook secret.
 * Top-ups are an operator action (`callflow account topup`), not a tenant one: a tenant who could
 * credit its own balance would make the balance meaningless.
 */

import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { issueApiKey, paiseToRupees } from '../../accounts.ts';
import { CallflowError } from '../../errors.ts';
import type { Account, ApiKey, LedgerEntry } from '../../store/types.ts';
import { VOICE_NAMES } from '../../telephony/voices.ts';
import { principal } from '../plugins/auth.ts';
import {
  errorResponses,
  ListOf,
  NoContent,
  NullableString,
  NullableTimestamp,
  StringEnum,
  Timestamp,
} from '../schemas.ts';
import type { RouteContext } from './context.ts';

const tags = ['Account'];

const Paise = Type.Integer({ minimum: 0, maximum: 100_000, description: 'Paise per segment' });
export const RatesSchema = Type.Object({
  transactional: Paise,
  service: Paise,
  promotional: Paise,
});

export const AccountResource = Type.Object(
  {
    sid: Type.String(),
    name: Type.String(),
    timeZone: Type.String({ description: 'IANA zone for {DateTime} and reports' }),
    balancePaise: Type.Integer(),
    balance: Type.String({ description: 'Rupees, e.g. "1250.00"' }),
    rates: RatesSchema,
    sms: Type.Object({
      splitGraphemes: Type.Boolean({
        description:
          'Segments are counted with grapheme clusters kept whole (the server setting sms.splitGraphemes)',
      }),
    }),
    voice: Type.Union([Type.String(), Type.Null()], {
      description: "Text-to-speech voice of real calls; null: the server's default (sip.voice)",
    }),
    createdAt: Timestamp,
  },
  { title: 'Account' },
);

export const LedgerResource = Type.Object(
  {
    id: Type.String(),
    kind: StringEnum(['debit', 'refund', 'topup'] as const),
    messageSid: NullableString(),
    amountPaise: Type.Integer({ description: 'Signed: debits are negative' }),
    amount: Type.String({ description: 'Rupees, signed' }),
    balanceAfterPaise: Type.Integer(),
    at: Timestamp,
    note: NullableString(),
  },
  { title: 'LedgerEntry' },
);

export const ApiKeyResource = Type.Object(
  {
    id: Type.String(),
    key: Type.String({ description: 'The Basic auth user name' }),
    label: Type.String(),
    createdAt: Timestamp,
    revokedAt: NullableTimestamp,
  },
  { title: 'ApiKey' },
);

export const NewApiKeyResource = Type.Object(
  {
    id: Type.String(),
    key: Type.String(),
    token: Type.String({ description: 'The Basic auth password; shown only once' }),
    label: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'NewApiKey' },
);

const toAccount = (a: Account, splitGraphemes: boolean) => ({
  sid: a.sid,
  name: a.name,
  timeZone: a.timeZone,
  balancePaise: a.balancePaise,
  balance: paiseToRupees(a.balancePaise),
  rates: a.rates,
  sms: { splitGraphemes },
  voice: a.voice,
  createdAt: a.createdAt.toISOString(),
});

const toLedger = (e: LedgerEntry) => ({
  id: e.id,
  kind: e.kind,
  messageSid: e.messageSid,
  amountPaise: e.amountPaise,
  amount: paiseToRupees(e.amountPaise),
  balanceAfterPaise: e.balanceAfterPaise,
  at: e.at.toISOString(),
  note: e.note,
});

const toApiKey = (k: ApiKey) => ({
  id: k.id,
  key: k.key,
  label: k.label,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt === null ? null : k.revokedAt.toISOString(),
});

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-IN', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const accountRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const accounts = ctx.store.accounts;

  async function requireAccount(sid: string): Promise<Account> {
    const account = await accounts.get(sid);
    if (account === undefined) throw new CallflowError('NOT_FOUND', 'No such account.');
    return account;
  }

  app.get(
    '/account',
    {
      schema: {
        tags,
        summary: 'The authenticated account, with its balance and rates',
        response: { 200: AccountResource, ...errorResponses },
      },
    },
    async (request) =>
      toAccount(await requireAccount(principal(request).sid), ctx.sender.splitGraphemes),
  );

  app.patch(
    '/account',
    {
      schema: {
        tags,
        summary: "Change the account's name, time zone, rates or voice",
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          rates: Type.Optional(Type.Partial(RatesSchema)),
          voice: Type.Optional(
            Type.Union(
              VOICE_NAMES.map((v) => Type.Literal(v)),
              { description: 'Text-to-speech voice of real calls (en-in, hi, ta, te, …)' },
            ),
          ),
        }),
        response: { 200: AccountResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const account = await requireAccount(sid);
      const b = request.body;
      if (b.timeZone !== undefined && !isTimeZone(b.timeZone)) {
        throw new CallflowError('VALIDATION_FAILED', `${b.timeZone} is not an IANA time zone.`, {
          field: 'timeZone',
        });
      }
      const patch: Parameters<typeof accounts.update>[1] = {};
      if (b.name !== undefined) patch.name = b.name;
      if (b.timeZone !== undefined) patch.timeZone = b.timeZone;
      if (b.voice !== undefined) patch.voice = b.voice;
      if (b.rates !== undefined) patch.rates = { ...account.rates, ...b.rates };
      const updated = await accounts.update(sid, patch);
      if (updated === undefined) throw new CallflowError('NOT_FOUND', 'No such account.');
      return toAccount(updated, ctx.sender.splitGraphemes);
    },
  );

  app.get(
    '/account/ledger',
    {
      schema: {
        tags,
        summary: 'Debits, refunds and top-ups, newest first',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 200: ListOf(LedgerResource), ...errorResponses },
      },
    },
    async (request) => {
      const entries = await accounts.ledger(principal(request).sid, request.query.limit ?? 100);
      return { items: entries.map(toLedger) };
    },
  );

  app.post(
    '/account/keys',
    {
      schema: {
        tags,
        summary: 'Create another API key; the token is returned only in this response',
        body: Type.Object({ label: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 201: NewApiKeyResource, ...errorResponses },
      },
      // The body is optional: no body means no label.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const { apiKey, token } = await issueApiKey(ctx.store, sid, request.body.label ?? '');
      return reply.status(201).send({
        id: apiKey.id,
        key: apiKey.key,
        token,
        label: apiKey.label,
        createdAt: apiKey.createdAt.toISOString(),
      });
    },
  );

  app.get(
    '/account/keys',
    {
      schema: {
        tags,
        summary: 'List API keys (never their tokens)',
        response: { 200: ListOf(ApiKeyResource), ...errorResponses },
      },
    },
    async (request) => {
      const keys = await accounts.listApiKeys(principal(request).sid);
      return { items: keys.map(toApiKey) };
    },
  );

  app.delete(
    '/account/keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key',
        description:
          'Refused (409) for the last active key, which would lock the account out of the API.',
        params: Type.Object({ id: Type.String() }),
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const keys = await accounts.listApiKeys(sid);
      const target = keys.find((k) => k.id === request.params.id && k.revokedAt === null);
      if (target === undefined) throw new CallflowError('NOT_FOUND', 'No such active API key.');
      if (keys.filter((k) => k.revokedAt === null).length === 1) {
        throw new CallflowError(
          'CONFLICT',
          'This is the last active API key; create another first.',
        );
      }
      if (!(await accounts.revokeApiKey(sid, target.id))) {
        throw new CallflowError('NOT_FOUND', 'No such active API key.');
      }
      ctx.apiKeys.forget(target.key);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/account/webhook-secret',
    {
      schema: {
        tags,
        summary: 'Rotate the secret that signs status callbacks; returned only in this response',
        response: { 200: Type.Object({ webhookSecret: Type.String() }), ...errorResponses },
      },
    },
    async (request) => {
      // Same form as the secret an account is created with (src/accounts.ts).
      const webhookSecret = randomBytes(32).toString('base64url');
      const updated = await accounts.update(principal(request).sid, { webhookSecret });
      if (updated === undefined) throw new CallflowError('NOT_FOUND', 'No such account.');
      return { webhookSecret };
    },
  );
};
