/**
 * Turns TypeBox validation errors into few, readable problems. A union (the SMS recipient, an IVR's
 * mode) otherwise reports every branch's complaints; when a branch's discriminator (`kind`, `mode`)
 * matches, only that branch's errors are kept, else one "matches none of the forms" error.
 */

import type { TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';

export interface SchemaProblem {
  /** JSON pointer into the validated value. */
  path: string;
  message: string;
}

type SchemaError = TLocalizedValidationError;

export function schemaProblems(schema: TSchema, errors: readonly SchemaError[]): SchemaProblem[] {
  const dropped = new Set<SchemaError>();
  const unions = errors
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (dropped.has(union)) continue;
    const prefix = `${union.schemaPath}/anyOf/`;
    const byBranch = new Map<number, SchemaError[]>();
    for (const e of errors) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = Number.parseInt(e.schemaPath.slice(prefix.length), 10);
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    // A branch whose discriminator did not match has a `const` error right at its own level.
    const chosen = [...byBranch.entries()].filter(
      ([branch, errs]) =>
        !errs.some(
          (e) =>
            e.keyword === 'const' &&
            e.schemaPath.split('/').length === `${prefix}${branch}`.split('/').length + 2,
        ),
    );
    const keep = chosen.length === 1 ? chosen[0]![0] : undefined;
    for (const [branch, errs] of byBranch) {
      if (branch === keep) continue;
      for (const e of errs) dropped.add(e);
    }
    if (keep !== undefined) dropped.add(union);
  }
  const problems: SchemaProblem[] = [];
  for (const e of errors) {
    if (dropped.has(e) || e.keyword === 'additionalProperties') continue;
    problems.push({ path: e.instancePath, message: describe(schema, e) });
  }
  return problems;
}

function describe(schema: TSchema, e: SchemaError): string {
  const where = e.instancePath === '' ? 'config' : e.instancePath.slice(1).replaceAll('/', '.');
  if (e.keyword === 'boolean') return `${where} is not a known field`;
  if (e.keyword === 'required') {
    const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    const owner = e.instancePath === '' ? '' : ` in ${where}`;
    return `missing ${missing.join(', ')}${owner}`;
  }
  if (e.keyword === 'anyOf') {
    const description = (at(schema, e.schemaPath) as { description?: string } | undefined)
      ?.description;
    return `${where} matches none of its allowed forms${description ? `: ${description}` : ''}`;
  }
  return `${where} ${e.message}`;
}

/** The subschema at a schemaPath such as `#/properties/to`. */
function at(schema: unknown, schemaPath: string): unknown {
  let node = schema;
  for (const segment of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
