/**
 * The API's one error handler: every failure becomes `{ code, message, details? }` with a stable
 * reason code from src/errors.ts and its HTTP status. Stack traces and internal messages never
 * reach the client; unexpected errors are logged and answered 500 INTERNAL_ERROR.
 */

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CallflowError, coerceError, REASONS, type ReasonCode } from '../../errors.ts';

export interface ValidationDetail {
  /** Where the value was: body, querystring, params or headers. */
  in: string;
  /** JSON pointer to the offending value inside that part, e.g. `/messages/3/to`. */
  path: string;
  message: string;
}

export interface ErrorBody {
  code: ReasonCode;
  message: string;
  details?: unknown;
}

/** The HTTP status of a reason code: its catalogue status, else 400 for what the caller sent, 500 for bugs. */
export function statusOf(code: ReasonCode): number {
  const def: { kind: string; httpStatus?: number } = REASONS[code];
  if (def.httpStatus !== undefined) return def.httpStatus;
  return def.kind === 'internal' ? 500 : 400;
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns ajv errors into `{ in, path, message }`, naming a missing property in the path. */
export function validationDetails(
  errors: readonly AjvLikeError[],
  part: string,
): ValidationDetail[] {
  return errors.map((e) => {
    const missing = e.params?.missingProperty;
    const path = `${e.instancePath ?? ''}${typeof missing === 'string' ? `/${missing}` : ''}`;
    return { in: part, path, message: e.message ?? 'is invalid' };
  });
}

/** An error shaped like Fastify's schema errors, for validation done in a handler. */
export function schemaError(part: string, errors: readonly AjvLikeError[]): Error {
  const message = errors
    .map((e) => `${part}${e.instancePath ?? ''} ${e.message ?? 'is invalid'}`)
    .join(', ');
  return Object.assign(new Error(message), {
    validation: errors,
    validationContext: part,
    statusCode: 400,
  });
}

/** Fastify's own client errors (parsing, limits) mapped by status. */
const CLIENT_STATUS_CODES: Record<number, ReasonCode> = {
  400: 'MALFORMED_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

function toErrorBody(
  error: FastifyError | CallflowError | Error,
  request: FastifyRequest,
): {
  status: number;
  body: ErrorBody;
} {
  if (error instanceof CallflowError) {
    const body: ErrorBody = { code: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    return { status: statusOf(error.code), body };
  }
  const fe = error as FastifyError;
  if (Array.isArray(fe.validation)) {
    const part = fe.validationContext ?? 'body';
    return {
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        message: fe.message,
        details: validationDetails(fe.validation as AjvLikeError[], part),
      },
    };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = CLIENT_STATUS_CODES[status] ?? 'MALFORMED_REQUEST';
    return { status: statusOf(code), body: { code, message: fe.message } };
  }
  request.log.error({ err: error }, 'unhandled error');
  return { status: 500, body: { code: 'INTERNAL_ERROR', message: REASONS.INTERNAL_ERROR.meaning } };
}

function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  // Not for the web app (X-Requested-With: callflow-web): it shows its own sign-in form, and a
  // Basic challenge would make the browser open a password dialog (or stall a headless fetch).
  if (
    body.code === 'UNAUTHORIZED' &&
    reply.request.headers['x-requested-with'] !== 'callflow-web'
  ) {
    reply.header('www-authenticate', 'Basic realm="callflow"');
  }
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

/**
 * Fastify's `frameworkErrors` option: a URL the router cannot read (a bad percent-escape, a path
 * segment over the length limit) gets the same error body as any other refusal.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { status, body } = toErrorBody(error, request);
  return sendError(reply, status, body);
}

/** Installs the error and not-found handlers on the root instance, so every route shares them. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(coerceError(error), request);
    return sendError(reply, status, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      code: 'NOT_FOUND',
      message: `No route ${request.method} ${request.url.split('?')[0]}.`,
    }),
  );
}
