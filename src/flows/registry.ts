/**
 * The one list of applet types. The runtime, the validator, the API (`GET /api/v1/applets`) and
 * the Builder's property panel all read it; adding an applet means adding its module here.
 */

import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { connect } from './applets/connect.ts';
import { greeting } from './applets/greeting.ts';
import { hangup } from './applets/hangup.ts';
import { ivr } from './applets/ivr.ts';
import { passthru } from './applets/passthru.ts';
import { sms } from './applets/sms.ts';
import type { AppletDefinition } from './types.ts';

export const APPLETS = [greeting, ivr, connect, passthru, sms, hangup] as const;

export type AppletType = (typeof APPLETS)[number]['type'];

export type AnyAppletDefinition = AppletDefinition<TSchema>;

const byType = new Map<string, AnyAppletDefinition>(
  APPLETS.map((def) => [def.type, def as unknown as AnyAppletDefinition]),
);
const validators = new Map<string, Validator>();

export function appletDefinition(type: string): AnyAppletDefinition | undefined {
  return byType.get(type);
}

/** The compiled config validator of an applet type (compiled once). */
export function configValidator(def: AnyAppletDefinition): Validator {
  let validator = validators.get(def.type);
  if (!validator) {
    validator = Compile(def.configSchema);
    validators.set(def.type, validator);
  }
  return validator;
}
