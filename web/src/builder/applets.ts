/**
 * The applet types the Builder offers. The palette and the JSON schemas come from
 * GET /api/v1/applets; exits and config validation come from the very definitions the engine runs
 * (src/flows/registry.ts, bundled into the app), so an IVR's exits follow its options exactly as
 * they will at run time.
 */

import type { TSchema } from 'typebox';
import { appletDefinition, configValidator } from '../../../src/flows/registry.ts';
import { schemaProblems } from '../../../src/flows/schema-errors.ts';
import { api } from '../lib/api.ts';
import { defaultValue, type JsonSchema } from './schema.ts';

export interface AppletType {
  type: string;
  title: string;
  description: string;
  schema: JsonSchema;
  /** The config of a new applet of this type. */
  defaultConfig: unknown;
  /** Exits when the config is unknown or invalid (from the server's listing). */
  staticExits: string[];
}

export interface ConfigProblem {
  /** JSON pointer into the config. */
  path: string;
  message: string;
}

/** How each type looks on the canvas: a short glyph and a colour. */
export const APPEARANCE: Record<string, { glyph: string; color: string }> = {
  greeting: { glyph: '♪', color: '#2f7d5b' },
  ivr: { glyph: '#', color: '#7b4bc4' },
  connect: { glyph: '☎', color: '#c46a16' },
  passthru: { glyph: '⇄', color: '#1f6fa8' },
  sms: { glyph: '✉', color: '#2451d6' },
  hangup: { glyph: '■', color: '#b33a3a' },
};

interface ListedApplet {
  type: string;
  title?: string;
  description?: string;
  exits?: string[];
  configSchema?: JsonSchema;
  defaultConfig?: unknown;
}

export async function loadAppletTypes(signal?: AbortSignal): Promise<AppletType[]> {
  const listing = await api.get<{ items: ListedApplet[] }>(
    '/api/v1/applets',
    signal ? { signal } : {},
  );
  return listing.items.map((item) => {
    const def = appletDefinition(item.type);
    const schema = (item.configSchema ?? def?.configSchema ?? {}) as JsonSchema;
    return {
      type: item.type,
      title: item.title ?? def?.title ?? item.type,
      description: item.description ?? def?.description ?? '',
      schema,
      defaultConfig: item.defaultConfig ?? defaultValue(schema),
      staticExits: item.exits ?? [],
    };
  });
}

/**
 * The exits of an applet with this config: the definition's `exits(config)` when the config is
 * valid; otherwise the exits it already has connected, plus the listed ones, so nothing vanishes
 * from the canvas while a config is being edited.
 */
export function exitsOf(
  type: AppletType | undefined,
  config: unknown,
  connected: string[],
): string[] {
  const def = type ? appletDefinition(type.type) : undefined;
  if (def && configValidator(def).Check(config)) {
    try {
      return def.exits(config);
    } catch {
      // An exits() that throws on an unusual config falls through to the fallback.
    }
  }
  const exits = [...(type?.staticExits ?? [])];
  for (const exit of connected) if (!exits.includes(exit)) exits.push(exit);
  return exits;
}

/** Problems of a config against its applet's schema, as the flow validator words them. */
export function configProblems(typeName: string, config: unknown): ConfigProblem[] {
  const def = appletDefinition(typeName);
  if (!def) return [{ path: '', message: `unknown applet type "${typeName}"` }];
  const validator = configValidator(def);
  if (validator.Check(config)) return [];
  return schemaProblems(def.configSchema as TSchema, validator.Errors(config));
}
