/**
 * Checks on request input that the route schemas cannot express, applied to every route after its
 * schema validation:
 *
 * - No NUL character in a string or property name of the path, query or body. No field needs one,
 *   PostgreSQL cannot store one in text or jsonb (the request failed with 500 there), and SQLite
 *   kept it silently. Refused with 400 INVALID_TEXT.
 * - No number that is not finite. ajv coerces a string such as "1e400" or "Infinity" to Infinity
 *   and then lets it pass `type: integer`, `minimum` and `maximum` (ajv-validator/ajv#2212), so
 *   `?limit=1e400` reached the store. Refused with 400 VALIDATION_FAILED, like a schema violation.
 *
 * A route that reports the bad items of its body one by one (the bulk sends) sets
 * `config.checksItems` and refuses each item that `itemProblem` finds fault with, so one bad item
 * does not refuse the others.
 */

import type { FastifyInstance } from 'fastify';
import { CallflowError } from '../../errors.ts';
import { schemaError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route calls `itemProblem` on each item of its body and reports the bad ones itself. */
    checksItems?: boolean;
  }
}

type Problem = { path: string; kind: 'nul' | 'number' };

const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** The first NUL or non-finite number in a parsed value, with its JSON pointer; null when none. */
function findBadInput(value: unknown): Problem | null {
  // A loop, not recursion: a JSON body may nest thousands of levels deep.
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [node, path] = pending.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return { path, kind: 'nul' };
    } else if (typeof node === 'number') {
      if (!Number.isFinite(node)) return { path, kind: 'number' };
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) pending.push([node[i], `${path}/${i}`]);
    } else if (typeof node === 'object' && node !== null && !isBinary(node)) {
      const entries = Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const at = `${path}/${pointer(key)}`;
        if (key.includes('\u0000')) return { path: at, kind: 'nul' };
        pending.push([child, at]);
      }
    }
  }
  return null;
}

/** A CSV upload's stream or a raw buffer: data the route reads itself, not parsed input. */
function isBinary(node: object): boolean {
  return ArrayBuffer.isView(node) || typeof (node as { pipe?: unknown }).pipe === 'function';
}

function check(part: string, value: unknown): void {
  const problem = findBadInput(value);
  if (problem === null) return;
  if (problem.kind === 'nul') {
    // `field` as the send routes name the field at fault; a pointer below the top level.
    throw new CallflowError('INVALID_TEXT', `${part}${problem.path} contains a NUL character.`, {
      in: part,
      field: problem.path.slice(1),
    });
  }
  throw schemaError(part, [{ instancePath: problem.path, message: 'must be a finite number' }]);
}

/** For a route with `checksItems`: why one item of its body is refused, or null. */
export function itemProblem(
  item: unknown,
): { code: 'INVALID_TEXT' | 'VALIDATION_FAILED'; field: string; message: string } | null {
  const problem = findBadInput(item);
  if (problem === null) return null;
  const field = problem.path.slice(1);
  return problem.kind === 'nul'
    ? { code: 'INVALID_TEXT', field, message: `${field} contains a NUL character.` }
    : { code: 'VALIDATION_FAILED', field, message: `${field} must be a finite number.` };
}

export function installInputChecks(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    check('params', request.params);
    check('querystring', request.query);
    if (!request.routeOptions.config.checksItems) check('body', request.body);
  });
}
