/**
 * /api/v1/session: the web app's sign-in. POST checks an API key and token exactly as HTTP Basic
 * does and sets the session cookie (src/api/plugins/session.ts); GET says who is signed in (and
 * renews a cookie past half its life); DELETE signs out.
 *
 * Failed sign-ins count against the same per-address throttle as Basic auth (src/auth-throttle.ts):
 * a correct key and token always sign in; wrong ones beyond the limit are refused with 429.
 */

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { tokenMatches } from '../../accounts.ts';
import type { AuthThrottle } from '../../auth-throttle.ts';
import { CallflowError } from '../../errors.ts';
import type { Store } from '../../store/types.ts';
import { throttleFailure } from '../plugins/auth.ts';
import {
  type SessionAuth,
  type SessionClaims,
  sessionCookie,
  WEB_CLIENT_HEADER,
  WEB_CLIENT_VALUE,
} from '../plugins/session.ts';
import { errorResponses, NoContent, Timestamp } from '../schemas.ts';

const tags = ['Session'];

const SessionResource = Type.Object(
  {
    account: Type.Object({ sid: Type.String(), name: Type.String(), timeZone: Type.String() }),
    keyId: Type.String({ description: 'The API key the session was opened with' }),
    expiresAt: Timestamp,
  },
  { title: 'Session' },
);

const SignInBody = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'API key (the Basic auth user name)',
    }),
    token: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'API token (the Basic auth password)',
    }),
  },
  { additionalProperties: false },
);

export interface SessionRouteOptions {
  store: Store;
  session: SessionAuth;
  /** Failed sign-ins count here, as failed Basic authentications do. */
  authThrottle: AuthThrottle;
}

/** Registered at the root (not under the authenticated /api/v1 scope): sign-in has no credentials yet. */
export function sessionRoutes(opts: SessionRouteOptions): FastifyPluginAsync {
  const { store, session, authThrottle } = opts;

  const secure = (request: FastifyRequest) => request.protocol === 'https';

  async function describe(claims: SessionClaims) {
    const account = await store.accounts.get(claims.accountSid);
    if (account === undefined)
      throw new CallflowError('UNAUTHORIZED', 'The account no longer exists.');
    return {
      account: { sid: account.sid, name: account.name, timeZone: account.timeZone },
      keyId: claims.keyId,
      expiresAt: new Date(claims.expiresAt).toISOString(),
    };
  }

  function setCookie(reply: FastifyReply, request: FastifyRequest, claims: SessionClaims): void {
    const maxAge = Math.max(0, Math.floor((claims.expiresAt - session.now()) / 1000));
    reply.header('set-cookie', sessionCookie(session.sign(claims), maxAge, secure(request)));
  }

  return async (app) => {
    app.post(
      '/api/v1/session',
      {
        schema: {
          tags,
          summary: 'Sign in to the web app with an API key and token; sets the session cookie',
          security: [],
          body: SignInBody,
          response: { 200: SessionResource, ...errorResponses },
        },
      },
      async (request, reply) => {
        // Only the web app signs in this way; a form on another site cannot send this header, so
        // it cannot sign a visitor into someone else's account (login CSRF).
        if (request.headers[WEB_CLIENT_HEADER] !== WEB_CLIENT_VALUE) {
          throw new CallflowError(
            'FORBIDDEN',
            `Sign in from the web app (${WEB_CLIENT_HEADER}: ${WEB_CLIENT_VALUE}).`,
          );
        }
        const { key, token } = request.body as { key: string; token: string };
        const apiKey = await store.accounts.findApiKey(key);
        if (
          apiKey === undefined ||
          apiKey.revokedAt !== null ||
          !tokenMatches(token, apiKey.tokenHash)
        ) {
          await throttleFailure(authThrottle, request, reply, 'web');
          throw new CallflowError('UNAUTHORIZED', 'Unknown API key or wrong token.');
        }
        const claims: SessionClaims = {
          accountSid: apiKey.accountSid,
          keyId: apiKey.id,
          expiresAt: session.now() + session.ttlMs,
        };
        const body = await describe(claims);
        setCookie(reply, request, claims);
        return body;
      },
    );

    app.get(
      '/api/v1/session',
      {
        schema: {
          tags,
          summary: 'Who the session cookie signs in',
          security: [],
          response: { 200: SessionResource, ...errorResponses },
        },
      },
      async (request, reply) => {
        const claims = await session.check(request);
        if (claims === null) throw new CallflowError('UNAUTHORIZED', 'Not signed in.');
        const body = await describe(claims);
        // Renew a session past half its life, so an open app stays signed in while it is used.
        if (claims.expiresAt - session.now() < session.ttlMs / 2) {
          const renewed = { ...claims, expiresAt: session.now() + session.ttlMs };
          setCookie(reply, request, renewed);
          body.expiresAt = new Date(renewed.expiresAt).toISOString();
        }
        return body;
      },
    );

    app.delete(
      '/api/v1/session',
      {
        schema: {
          tags,
          summary: 'Sign out: clears the session cookie',
          security: [],
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        reply.header('set-cookie', sessionCookie('', 0, secure(request)));
        return reply.status(204).send();
      },
    );
  };
}
