/**
 * Reading the JSON schemas of applet configs (TypeBox emits plain JSON Schema): what kind of
 * control a schema needs, a default value for it, and which branch of a union a value is on.
 */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
}

export type FieldKind =
  | { kind: 'string' }
  | { kind: 'number'; integer: boolean }
  | { kind: 'boolean' }
  | { kind: 'choice'; options: (string | number | boolean)[] }
  | { kind: 'object' }
  | { kind: 'array' }
  | { kind: 'variants'; variants: JsonSchema[] }
  | { kind: 'const'; value: unknown }
  | { kind: 'unknown' };

function branches(schema: JsonSchema): JsonSchema[] | undefined {
  return schema.anyOf ?? schema.oneOf;
}

function primaryType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  return schema.type;
}

export function fieldKind(schema: JsonSchema): FieldKind {
  if (schema.const !== undefined) return { kind: 'const', value: schema.const };
  if (schema.enum) return { kind: 'choice', options: schema.enum as (string | number | boolean)[] };
  const anyOf = branches(schema);
  if (anyOf) {
    // A union of literals is a plain choice; a union of objects is a choice of forms.
    if (anyOf.every((b) => b.const !== undefined)) {
      return { kind: 'choice', options: anyOf.map((b) => b.const as string | number | boolean) };
    }
    return { kind: 'variants', variants: anyOf };
  }
  switch (primaryType(schema)) {
    case 'string':
      return { kind: 'string' };
    case 'integer':
      return { kind: 'number', integer: true };
    case 'number':
      return { kind: 'number', integer: false };
    case 'boolean':
      return { kind: 'boolean' };
    case 'object':
      return { kind: 'object' };
    case 'array':
      return { kind: 'array' };
    default:
      return { kind: 'unknown' };
  }
}

/** A value that fills a schema's required parts: its default, else the simplest valid-looking value. */
export function defaultValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return structuredClone(schema.default);
  const kind = fieldKind(schema);
  switch (kind.kind) {
    case 'const':
      return kind.value;
    case 'choice':
      return kind.options[0];
    case 'variants':
      return defaultValue(kind.variants[0] ?? {});
    case 'string':
      return '';
    case 'number':
      return (
        schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0)
      );
    case 'boolean':
      return false;
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => defaultValue(schema.items ?? {}));
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const key of schema.required ?? []) {
        const property = schema.properties?.[key];
        if (property) value[key] = defaultValue(property);
      }
      return value;
    }
    default:
      return undefined;
  }
}

/** The property whose `const` tells the branches of a union apart (`kind`, `mode`), if any. */
export function discriminator(variants: JsonSchema[]): string | undefined {
  const first = variants[0]?.properties;
  if (!first) return undefined;
  return Object.keys(first).find((key) =>
    variants.every((v) => v.properties?.[key]?.const !== undefined),
  );
}

/** What a person calls a branch: its title, its discriminator value, or its first property. */
export function variantLabel(variant: JsonSchema, index: number, key: string | undefined): string {
  if (variant.title) return variant.title;
  if (key) return String(variant.properties?.[key]?.const);
  const first = Object.keys(variant.properties ?? {})[0];
  const property = first ? variant.properties?.[first] : undefined;
  return property?.title ?? first ?? `Form ${index + 1}`;
}

/** Which branch a value is on: by discriminator, else the branch whose required keys it has. */
export function variantIndex(variants: JsonSchema[], value: unknown): number {
  const record = (value ?? {}) as Record<string, unknown>;
  const key = discriminator(variants);
  if (key) {
    const i = variants.findIndex((v) => v.properties?.[key]?.const === record[key]);
    return Math.max(0, i);
  }
  if (typeof value !== 'object' || value === null) {
    const i = variants.findIndex((v) => fieldKind(v).kind !== 'object');
    return Math.max(0, i);
  }
  const i = variants.findIndex((v) => (v.required ?? []).every((r) => Object.hasOwn(record, r)));
  return Math.max(0, i);
}

/** `senderId` → `Sender id`, for properties without a title. */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The value for another branch of a union: that branch's default, keeping the fields both
 * branches have (an IVR's prompt survives a switch from menu to gather).
 */
export function switchVariant(variant: JsonSchema, old: unknown): unknown {
  const next = defaultValue(variant);
  if (typeof next !== 'object' || next === null || typeof old !== 'object' || old === null)
    return next;
  const key = discriminator([variant]);
  const kept: Record<string, unknown> = { ...(next as Record<string, unknown>) };
  for (const [name, value] of Object.entries(old as Record<string, unknown>)) {
    if (
      name !== key &&
      variant.properties?.[name] !== undefined &&
      variant.properties[name]?.const === undefined
    ) {
      kept[name] = value;
    }
  }
  return kept;
}

export function titleOf(schema: JsonSchema, key: string): string {
  return schema.title ?? humanize(key);
}
