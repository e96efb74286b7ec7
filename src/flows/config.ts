/** The `flows` section of the configuration: its schema, defaults and units, written once. */

import { type Static, Type } from 'typebox';
import Value from 'typebox/value';

export const FlowSettingsSchema = Type.Object(
  {
    /** A call ends after this many applets (loops cannot run forever). */
    maxSteps: Type.Integer({ minimum: 1, default: 100 }),
    /** Passthru request timeout when the applet sets none, milliseconds. */
    passthruTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
  },
  { default: {} },
);

export type FlowSettings = Static<typeof FlowSettingsSchema>;

const DEFAULTS = Value.Default(FlowSettingsSchema, {}) as FlowSettings;
export const DEFAULT_MAX_STEPS = DEFAULTS.maxSteps;
export const DEFAULT_PASSTHRU_TIMEOUT_MS = DEFAULTS.passthruTimeoutMs;
