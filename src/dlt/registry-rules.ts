/**
 * The DLT registry rules for one message, in one place: the API refuses at once what they refuse
 * (src/api/prechecks.ts), and the delivery worker refuses it again before any money moves
 * (src/delivery/checks.ts), each with its own cache of the records. Pure: the caller looks the
 * records up and passes them in.
 *
 * In order: the entity exists and is active; the header is registered to it and active; the
 * template exists, belongs to the entity and is linked to the header (an empty link list means any
 * header of the entity); the header is registered for the SMS type; the template is approved and
 * its category fits the SMS type. The states (active, approved) can change between accepting a message and sending it, so
 * the API leaves them to the worker (`states: false`).
 */

import type { ReasonCode } from '../errors.ts';
import { categoryAllows, type DltTemplateCategory, headerAllows, type SmsType } from './model.ts';

/** The parts of the registry records the rules read. */
export interface RegistryRecords<E, H, T> {
  entity: (E & { entityId: string; status: 'active' | 'inactive' }) | undefined;
  header: (H & { senderId: string; smsType: SmsType; status: 'active' | 'inactive' }) | undefined;
  template:
    | (T & {
        templateId: string;
        entityId: string;
        category: DltTemplateCategory;
        status: string;
        senderIds: string[];
      })
    | undefined;
}

export interface RegistryRequest {
  senderId: string;
  dltEntityId: string;
  dltTemplateId: string;
  /** Absent: the type the template's category carries (smsTypeOf). */
  smsType?: SmsType | undefined;
}

export interface RegistryRefusal {
  ok: false;
  code: ReasonCode;
  message: string;
  /** The request field at fault. */
  field: 'dltEntityId' | 'senderId' | 'dltTemplateId' | 'smsType';
}

/** The SMS type a template's category carries, for a request that names none. */
export function smsTypeOf(category: DltTemplateCategory): SmsType {
  if (category === 'promotional') return 'promotional';
  if (category === 'transactional') return 'transactional';
  return 'service';
}

const refuse = (
  code: ReasonCode,
  field: RegistryRefusal['field'],
  message: string,
): RegistryRefusal => ({ ok: false, code, field, message });

/** The template when the registry allows the message; otherwise the first rule it breaks. */
export function checkRegistry<E, H, T>(
  request: RegistryRequest,
  { entity, header, template }: RegistryRecords<E, H, T>,
  options: { states: boolean },
): { ok: true; template: NonNullable<RegistryRecords<E, H, T>['template']> } | RegistryRefusal {
  const { states } = options;
  if (entity === undefined) {
    return refuse(
      'DLT_ENTITY_NOT_FOUND',
      'dltEntityId',
      `Entity ${request.dltEntityId} is not registered.`,
    );
  }
  if (states && entity.status !== 'active') {
    return refuse('DLT_ENTITY_INACTIVE', 'dltEntityId', `Entity ${entity.entityId} is inactive.`);
  }
  if (header === undefined) {
    return refuse(
      'DLT_HEADER_NOT_FOUND',
      'senderId',
      `Sender ID ${request.senderId} is not registered to entity ${entity.entityId} (headers are case-sensitive).`,
    );
  }
  if (states && header.status !== 'active') {
    return refuse('DLT_HEADER_INACTIVE', 'senderId', `Sender ID ${header.senderId} is inactive.`);
  }
  if (template === undefined) {
    return refuse(
      'DLT_TEMPLATE_NOT_FOUND',
      'dltTemplateId',
      `Template ${request.dltTemplateId} is not registered.`,
    );
  }
  if (template.entityId !== entity.entityId) {
    return refuse(
      'DLT_TEMPLATE_ENTITY_MISMATCH',
      'dltTemplateId',
      `Template ${template.templateId} belongs to entity ${template.entityId}, not ${entity.entityId}.`,
    );
  }
  if (template.senderIds.length > 0 && !template.senderIds.includes(request.senderId)) {
    return refuse(
      'DLT_HEADER_NOT_LINKED',
      'senderId',
      `Template ${template.templateId} is linked to ${template.senderIds.join(', ')}, not ${request.senderId}.`,
    );
  }
  const smsType = request.smsType ?? smsTypeOf(template.category);
  if (!headerAllows(header.smsType, smsType)) {
    return refuse(
      'DLT_HEADER_TYPE_MISMATCH',
      'senderId',
      `Sender ID ${header.senderId} is registered for promotional SMS, not ${smsType}.`,
    );
  }
  if (states && template.status !== 'approved') {
    return refuse(
      'DLT_TEMPLATE_NOT_APPROVED',
      'dltTemplateId',
      `Template ${template.templateId} is ${template.status}.`,
    );
  }
  if (!categoryAllows(template.category, smsType)) {
    return refuse(
      'DLT_CATEGORY_MISMATCH',
      'smsType',
      `A ${template.category} template cannot be sent as ${smsType}.`,
    );
  }
  return { ok: true, template };
}
