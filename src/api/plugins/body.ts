/**
 * How request bodies are read, on every route:
 *
 * - JSON and form bodies must be valid UTF-8, and so must the bytes of a form's %-escapes. A body
 *   that is not is refused with 400 INVALID_TEXT before any route sees it: decoding it would turn
 *   the bad bytes into U+FFFD, which would be stored, sent as UCS-2 and charged.
 * - A body with a Content-Encoding other than `identity` is refused with 415: no encoding is
 *   decoded, and reading a compressed body as plain text would be reading garbage.
 * - A JSON body is validated without type coercion: where the schema says string, `true`, `1e308`
 *   or `["x"]` is a schema violation, not the text "true". A form body carries only strings, so it
 *   is validated with coercion (`validitySeconds=60` is the number 60).
 */

import { isUtf8 } from 'node:buffer';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { parse as parseQueryString } from 'fast-querystring';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { CallflowError, coerceError } from '../../errors.ts';

/** Bodies that came from a form: validated with coercion, and read by Exotel's rules for forms. */
const formBodies = new WeakSet<object>();

/** Whether a parsed body came from a form (every value a string or a list of strings). */
export function isFormBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && formBodies.has(body);
}

const notUtf8 = () =>
  new CallflowError('INVALID_TEXT', 'The request body is not valid UTF-8.', { in: 'body' });

/** Whether every run of %-escapes in a form decodes to valid UTF-8 (`%FF` is no text). */
function escapesAreUtf8(form: string): boolean {
  for (const run of form.matchAll(/(?:%[0-9A-Fa-f]{2})+/g)) {
    const bytes = Buffer.from(run[0].replaceAll('%', ''), 'hex');
    if (!isUtf8(bytes)) return false;
  }
  return true;
}

/** Parses a form body: repeated keys become lists, as Exotel's clients send `To`. */
export function parseForm(raw: Buffer): Record<string, string | string[]> {
  if (!isUtf8(raw)) throw notUtf8();
  const text = raw.toString('utf8');
  if (!escapesAreUtf8(text)) throw notUtf8();
  const parsed = parseQueryString(text) as Record<string, string | string[]>;
  formBodies.add(parsed);
  return parsed;
}

/** Replaces Fastify's JSON parser and adds the form parser, both reading bytes first. */
export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done) => {
      if (!isUtf8(body)) {
        done(notUtf8(), undefined);
        return;
      }
      parseJson(request, body.toString('utf8'), done);
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request: FastifyRequest, body: Buffer, done) => {
      try {
        done(null, parseForm(body));
      } catch (error) {
        done(coerceError(error), undefined);
      }
    },
  );
  // Before the body is read, after the routes' own onRequest hooks (which pick the error format).
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      throw new CallflowError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${encoding} is not accepted: send the body uncompressed.`,
      );
    }
    return payload;
  });
}

type BuildValidator = NonNullable<
  NonNullable<
    NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
  >['buildValidator']
>;
type Validate = ((data: unknown) => boolean) & { errors?: unknown };
type Compile = (route: { httpPart?: string }) => Validate;
type Build = (externalSchemas: unknown, options: { customOptions?: object }) => Compile;

/**
 * Fastify's validator factory with one change: a JSON body is validated without type coercion.
 * Path, query and headers are text by nature and keep ajv's coercion (`?limit=20` is a number).
 */
export function bodyValidators(): BuildValidator {
  const coercing = AjvCompiler() as unknown as Build;
  const strict = AjvCompiler() as unknown as Build;
  const build: Build = (externalSchemas, options) => {
    const withCoercion = coercing(externalSchemas, options);
    const withoutCoercion = strict(externalSchemas, {
      ...options,
      customOptions: { ...options.customOptions, coerceTypes: false },
    });
    return (route) => {
      const coerced = withCoercion(route);
      if (route.httpPart !== 'body') return coerced;
      const exact = withoutCoercion(route);
      const validate: Validate = (data) => {
        const chosen = isFormBody(data) ? coerced : exact;
        const ok = chosen(data);
        validate.errors = chosen.errors;
        return ok;
      };
      return validate;
    };
  };
  return build as unknown as BuildValidator;
}
