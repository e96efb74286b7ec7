/**
 * The pure SMS and DLT cores (src/sms, src/dlt), as the SMS panel uses them. They run in the
 * browser exactly as on the server, so what the panel says is what the delivery worker will do.
 */

import { type BodyCheck, checkBody } from '../../../../src/dlt/index.ts';
import {
  CALL_VARIABLES,
  inspectSms,
  isCallVariableName,
  parseRecipient,
  type SmsInspection,
  suggestGsm,
  variablesOf,
} from '../../../../src/sms/index.ts';
import type { WhitelistEntry } from '../../lib/dlt-api.ts';

export interface BodyVariableSpan {
  name: string;
  start: number;
  end: number;
}

export function bodyVariables(body: string): BodyVariableSpan[] {
  return variablesOf(body).map((v) => ({ name: v.name, start: v.index, end: v.index + v.length }));
}

export function inspectBody(text: string, splitGraphemes = false): SmsInspection {
  return inspectSms(text, { splitGraphemes });
}

/**
 * The body as it will be sent, with each call variable replaced by an example as long as its
 * real value. Passthru values have no known length: they are left out, and named in `unknown`.
 */
export function withSampleValues(body: string): { text: string; unknown: string[] } {
  let text = '';
  let at = 0;
  const unknown: string[] = [];
  for (const v of variablesOf(body)) {
    text += body.slice(at, v.index);
    if (isCallVariableName(v.name)) text += CALL_VARIABLES[v.name].example;
    else if (!unknown.includes(v.name)) unknown.push(v.name);
    at = v.index + v.length;
  }
  return { text: text + body.slice(at), unknown };
}

/** The GSM-7 stand-in for one character (cluster), or undefined when it has none. */
export function gsmReplacement(char: string): string | undefined {
  const suggestion = suggestGsm(char);
  return suggestion.remainingNonGsm.length === 0 && suggestion.text !== char
    ? suggestion.text
    : undefined;
}

export type RecipientCheck =
  | { ok: true; e164: string; type: string | undefined }
  | { ok: false; message: string };

/** A custom recipient, checked with the parser the API uses. */
export function checkRecipient(input: string): RecipientCheck {
  const result = parseRecipient(input);
  if (result.ok)
    return { ok: true, e164: result.e164, type: result.type?.toLowerCase().replaceAll('_', ' ') };
  return { ok: false, message: `${result.code}: ${result.message}` };
}

export function checkBodyAgainst(
  body: string,
  template: string,
  whitelist: WhitelistEntry[],
): BodyCheck {
  return checkBody(body, template, {
    whitelist: {
      urls: whitelist.filter((w) => w.kind === 'url').map((w) => w.value),
      callbackNumbers: whitelist.filter((w) => w.kind === 'cbn').map((w) => w.value),
    },
  });
}
