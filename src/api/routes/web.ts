/**
 * Serves the web app built into web/dist (`vite build --config web/vite.config.ts`).
 *
 * - Files under /assets/ have content hashes in their names: cached for a year, immutable.
 * - Everything else (index.html above all) is revalidated on every load (ETag), so a new build
 *   is picked up at once.
 * - Any other GET that is not under /api/ is a page of the app: index.html (the SPA fallback).
 *   Without a valid session, a page request is redirected to /signin?next=… (the app itself
 *   also shows the sign-in form when an API call answers 401).
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type AuthThrottle, createAuthThrottle } from '../../auth-throttle.ts';
import { CallflowError } from '../../errors.ts';
import type { Store } from '../../store/types.ts';
import { createSessionAuth, type SessionAuth } from '../plugins/session.ts';
import type { Authenticator } from '../types.ts';
import { eventRoutes } from './events.ts';
import { sessionRoutes } from './session.ts';

/** web/dist of this checkout. */
export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** React Flow positions nodes with inline styles, hence style-src 'unsafe-inline'; scripts stay 'self'. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Paths the app shows without an account session (the operator's page signs in with an admin key). */
const PUBLIC_PAGES = new Set(['/signin', '/operator/carriers']);

export interface WebRouteOptions {
  /** The built app; default web/dist of this checkout. */
  distDir?: string;
  /** Whether the request carries a valid session (pages redirect to sign-in otherwise). */
  hasSession?: (request: FastifyRequest) => Promise<boolean>;
}

interface FileInfo {
  path: string;
  size: number;
  etag: string;
  mtime: Date;
}

async function fileAt(path: string): Promise<FileInfo | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    return {
      path,
      size: info.size,
      etag: `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      mtime: info.mtime,
    };
  } catch {
    return null;
  }
}

export function webRoutes(options: WebRouteOptions = {}): FastifyPluginAsync {
  const distDir = resolve(options.distDir ?? DEFAULT_WEB_DIST);

  /** The file a URL path names inside distDir; null when it would step outside. */
  function resolveInDist(urlPath: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const full = normalize(join(distDir, decoded));
    return full === distDir || full.startsWith(distDir + sep) ? full : null;
  }

  function send(request: FastifyRequest, reply: FastifyReply, file: FileInfo, immutable: boolean) {
    const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
    reply
      .header('content-type', type)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('etag', file.etag)
      .header('last-modified', file.mtime.toUTCString());
    if (type.startsWith('text/html')) {
      reply
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('referrer-policy', 'same-origin')
        .header('x-frame-options', 'DENY');
    }
    if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
    reply.header('content-length', file.size);
    if (request.method === 'HEAD') return reply.send();
    return reply.send(createReadStream(file.path));
  }

  return async (app) => {
    app.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (path === '/api' || path.startsWith('/api/')) {
        throw new CallflowError('NOT_FOUND', `No route ${request.method} ${path}.`);
      }
      const target = resolveInDist(path);
      if (target === null) throw new CallflowError('NOT_FOUND', 'No such file.');

      if (path !== '/' && path !== '/index.html') {
        const file = await fileAt(target);
        if (file !== null) return send(request, reply, file, path.startsWith('/assets/'));
        // A missing asset is a 404, not the app: a stale page must not get HTML for its script.
        if (extname(path) !== '') throw new CallflowError('NOT_FOUND', `No file ${path}.`);
      }

      const index = await fileAt(join(distDir, 'index.html'));
      if (index === null) {
        return reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('The web app is not built. Run `npm run build:web`, then reload.\n');
      }
      if (options.hasSession && !PUBLIC_PAGES.has(path) && !(await options.hasSession(request))) {
        const next = path === '/' ? '' : `?next=${encodeURIComponent(path)}`;
        return reply.redirect(`/signin${next}`, 302);
      }
      return send(request, reply, index, false);
    });
  };
}

/**
 * Everything the web app adds to buildApp: the session authenticator, the session routes, the
 * test panel's event stream and the static files. `startServer` passes these into
 * `ApiDeps.authenticators` and `extraRoutes`.
 */
export function webAppDeps(opts: {
  store: Store;
  /** See loadSessionSecret. */
  sessionSecret: Buffer;
  now?: () => number;
  distDir?: string;
  sessionTtlMs?: number;
  /** Shared with buildApp, so failed sign-ins and failed Basic auth count together. Default: its own. */
  authThrottle?: AuthThrottle;
}): { session: SessionAuth; authenticators: Authenticator[]; extraRoutes: FastifyPluginAsync[] } {
  const session = createSessionAuth({
    store: opts.store,
    secret: opts.sessionSecret,
    now: opts.now ?? Date.now,
    ...(opts.sessionTtlMs !== undefined ? { ttlMs: opts.sessionTtlMs } : {}),
  });
  const web: WebRouteOptions = {
    hasSession: async (request) => (await session.check(request)) !== null,
  };
  if (opts.distDir !== undefined) web.distDir = opts.distDir;
  return {
    session,
    authenticators: [session.authenticate],
    extraRoutes: [
      sessionRoutes({
        store: opts.store,
        session,
        authThrottle: opts.authThrottle ?? createAuthThrottle({ now: opts.now ?? Date.now }),
      }),
      eventRoutes({ store: opts.store }),
      webRoutes(web),
    ],
  };
}
