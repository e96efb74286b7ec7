/** The `api` section of the configuration: its schema, defaults and units, written once. */

import { type Static, Type } from 'typebox';
import Value from 'typebox/value';

export const ApiSettingsSchema = Type.Object(
  {
    /** Largest request body, bytes. */
    bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** Requests per minute per account; 0 turns the limit off. */
    rateLimitPerMinute: Type.Integer({ minimum: 0, default: 12_000 }),
  },
  { default: {} },
);

export type ApiSettings = Static<typeof ApiSettingsSchema>;

export const API_SETTINGS_DEFAULTS = Value.Default(ApiSettingsSchema, {}) as ApiSettings;
