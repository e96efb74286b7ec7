/**
 * The rules a send request's recipient and IDs follow, in one place: sendSms applies them to every
 * request, and the API's pre-checks apply them first, so that a malformed ID is refused as such
 * rather than looked up in the registry.
 */

import { SENDER_ID_MAX_LENGTH, validateEntityId, validateTemplateId } from '../dlt/index.ts';
import type { ReasonCode } from '../errors.ts';
import { parseRecipient } from '../sms/index.ts';

const SENDER_ID = new RegExp(`^[A-Za-z0-9]{1,${SENDER_ID_MAX_LENGTH}}$`);
/** The longest recipient as written, characters. */
export const RECIPIENT_MAX_LENGTH = 32;

export interface RequestProblem {
  code: ReasonCode;
  field: 'to' | 'senderId' | 'dltEntityId' | 'dltTemplateId';
  message: string;
}

/** The first problem with the sender ID, entity ID and template ID, or null. */
export function idProblem(r: {
  senderId: string;
  dltEntityId: string;
  dltTemplateId: string;
}): RequestProblem | null {
  if (!SENDER_ID.test(r.senderId)) {
    return {
      code: 'INVALID_HEADER',
      field: 'senderId',
      message: `A sender ID is 1 to ${SENDER_ID_MAX_LENGTH} letters or digits.`,
    };
  }
  if (validateEntityId(r.dltEntityId) !== null) {
    return {
      code: 'INVALID_ENTITY_ID',
      field: 'dltEntityId',
      message: 'A DLT entity ID is 12 to 19 digits.',
    };
  }
  if (validateTemplateId(r.dltTemplateId) !== null) {
    return {
      code: 'INVALID_TEMPLATE_ID',
      field: 'dltTemplateId',
      message: 'A DLT template ID is 12 to 19 digits.',
    };
  }
  return null;
}

/**
 * The recipient: in E.164 when it is a valid number. `storable` is false for a string that cannot
 * be a number at all (too long, a NUL), which sendSms refuses at once; an invalid number is still
 * storable, and then the worker refuses it with its reason code (the API refuses it at once).
 */
export type RecipientCheck =
  | { ok: true; e164: string }
  | { ok: false; storable: boolean; problem: RequestProblem };

export function checkRecipient(raw: string, defaultRegion?: string): RecipientCheck {
  if (raw.length > RECIPIENT_MAX_LENGTH) {
    return {
      ok: false,
      storable: false,
      problem: {
        code: 'INVALID_NUMBER',
        field: 'to',
        message: 'The recipient is too long to be a number.',
      },
    };
  }
  if (raw.includes('\u0000')) {
    return {
      ok: false,
      storable: false,
      problem: { code: 'INVALID_NUMBER', field: 'to', message: 'The recipient is not a number.' },
    };
  }
  const recipient = parseRecipient(raw, defaultRegion);
  if (recipient.ok) return { ok: true, e164: recipient.e164 };
  return {
    ok: false,
    storable: true,
    problem: { code: recipient.code, field: 'to', message: recipient.message },
  };
}
