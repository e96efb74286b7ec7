/**
 * DLT registry records (entities, headers, templates), their format validators, the
 * category/SMS-type rule and the numeric limits the matcher and the linter apply.
 *
 * Glossary:
 * - entity (PE): the business registered on a DLT platform; `entityId` is its PE ID.
 * - header: the sender ID (e.g. `ACMEIN`) registered to an entity; case-sensitive.
 * - template: approved content with `{#var#}`-style placeholders; `templateId` is its ID.
 * - SMS type: how a message is sent (`transactional`, `service`, `promotional`).
 * - template category: how a template was registered; it decides which SMS types may use it.
 *
 * IDs are strings: real IDs have 19 digits, more than a JS number holds exactly.
 */

export type SmsType = 'transactional' | 'service' | 'promotional';

export type DltTemplateCategory =
  | 'transactional'
  | 'service-implicit'
  | 'service-explicit'
  | 'promotional';

export type DltTemplateStatus = 'approved' | 'pending' | 'rejected' | 'inactive';

export interface DltEntity {
  /** PE ID, 12 to 19 digits, kept as a string. */
  entityId: string;
  name: string;
  status: 'active' | 'inactive';
}

export interface DltHeader {
  /** The registered sender ID, without the operator prefix (`VM-`) or category suffix (`-S`). */
  senderId: string;
  entityId: string;
  /** The SMS types this header is registered for. */
  smsTypes: readonly SmsType[];
  status: 'active' | 'inactive';
}

export interface DltTemplate {
  /** 12 to 19 digits, kept as a string. */
  templateId: string;
  entityId: string;
  name?: string;
  content: string;
  category: DltTemplateCategory;
  status: DltTemplateStatus;
  /** Sender IDs (headers) linked to this template. */
  senderIds: readonly string[];
}

/** Numeric DLT rules; every field can be overridden (sources disagree on some). */
export interface DltLimits {
  /** Most characters (code points) a `{#var#}` value may have; also numeric, url, cbn, email. */
  varMaxLength: number;
  /** Most characters an `{#alphanumeric#}` value may have. */
  alphanumericMaxLength: number;
  /** Variables a template may have (TRAI direction of 18 Nov 2025). */
  maxVariables: number;
  /** Variables allowed when the extra one is justified with recorded reasons. */
  maxVariablesWithReason: number;
  /** Least share of a template that must be fixed text (TRAI direction of 12 May 2023). */
  minFixedTextRatio: number;
}

export const DEFAULT_DLT_LIMITS: Readonly<DltLimits> = Object.freeze({
  varMaxLength: 30,
  alphanumericMaxLength: 40,
  maxVariables: 2,
  maxVariablesWithReason: 3,
  minFixedTextRatio: 0.3,
});

export function resolveLimits(limits?: Partial<DltLimits>): DltLimits {
  return limits ? { ...DEFAULT_DLT_LIMITS, ...limits } : { ...DEFAULT_DLT_LIMITS };
}

const DLT_ID = /^\d{12,19}$/;

/** `INVALID_ENTITY_ID` unless `id` is a string of 12 to 19 digits; `null` when valid. */
export function validateEntityId(id: unknown): 'INVALID_ENTITY_ID' | null {
  return typeof id === 'string' && DLT_ID.test(id) ? null : 'INVALID_ENTITY_ID';
}

/** `INVALID_TEMPLATE_ID` unless `id` is a string of 12 to 19 digits; `null` when valid. */
export function validateTemplateId(id: unknown): 'INVALID_TEMPLATE_ID' | null {
  return typeof id === 'string' && DLT_ID.test(id) ? null : 'INVALID_TEMPLATE_ID';
}

/**
 * Every real PE, TM and template ID seen has 19 digits; a valid ID of another length is
 * worth a warning in the UI (it is often a truncated copy-paste), not a refusal.
 */
export function hasTypicalDltIdLength(id: string): boolean {
  return id.length === 19;
}

/** The longest sender ID (header) anywhere: SMPP's alphanumeric source address. */
export const SENDER_ID_MAX_LENGTH = 11;

/** Header shapes. Defaults: 6 capital letters (transactional, service), 6 digits (promotional). */
export interface HeaderRules {
  alphaMin: number;
  alphaMax: number;
  numericLength: number;
  /**
   * Accept an alphabetic header for promotional traffic too. Some sources say brand headers
   * may carry promotional traffic since the May 2025 suffixes; off by default (stricter).
   */
  promotionalAllowsAlpha?: boolean;
}

export const DEFAULT_HEADER_RULES: Readonly<HeaderRules> = Object.freeze({
  alphaMin: 6,
  alphaMax: 6,
  numericLength: 6,
  promotionalAllowsAlpha: false,
});

/**
 * `INVALID_HEADER` unless `senderId` has the form its SMS type requires; `null` when valid.
 * The operator prefix (`VM-`) and category suffix (`-S`) are not part of a registered header,
 * so a sender ID that carries them is refused here.
 */
export function validateHeader(
  senderId: unknown,
  smsType: SmsType,
  rules?: Partial<HeaderRules>,
): 'INVALID_HEADER' | null {
  if (typeof senderId !== 'string') return 'INVALID_HEADER';
  const r = { ...DEFAULT_HEADER_RULES, ...rules };
  const alpha =
    senderId.length >= r.alphaMin && senderId.length <= r.alphaMax && /^[A-Z]+$/.test(senderId);
  if (smsType !== 'promotional') return alpha ? null : 'INVALID_HEADER';
  const numeric = senderId.length === r.numericLength && /^\d+$/.test(senderId);
  return numeric || (r.promotionalAllowsAlpha === true && alpha) ? null : 'INVALID_HEADER';
}

/** Options for `categoryAllows`; the default is the strict one-to-one mapping. */
export interface CategoryRules {
  /**
   * Service Explicit was retired on 6 May 2025 and its templates migrated to Promotional.
   * When true, a service-explicit template may also carry promotional traffic.
   */
  serviceExplicitAsPromotional?: boolean;
}

/**
 * Whether a header registered for one SMS type may carry another. A promotional header (6
 * digits) carries promotional traffic only: transactional and service messages must come from a
 * header registered for them. The other direction is left to the carrier: since the 2025
 * amendment, registered alphabetic brand headers are reported to carry promotional traffic too.
 */
export function headerAllows(headerType: SmsType, smsType: SmsType): boolean {
  return headerType !== 'promotional' || smsType === 'promotional';
}

/**
 * Which template categories may carry which SMS type. Strict by default:
 * transactional → transactional; service-implicit and service-explicit → service;
 * promotional → promotional. A transactional template is never sent as service or
 * promotional (operators blacklist templates used outside their category).
 */
export function categoryAllows(
  category: DltTemplateCategory,
  smsType: SmsType,
  rules?: CategoryRules,
): boolean {
  switch (category) {
    case 'transactional':
      return smsType === 'transactional';
    case 'service-implicit':
      return smsType === 'service';
    case 'service-explicit':
      return (
        smsType === 'service' ||
        (smsType === 'promotional' && rules?.serviceExplicitAsPromotional === true)
      );
    case 'promotional':
      return smsType === 'promotional';
  }
}

/** `DLT_CATEGORY_MISMATCH` when the category does not allow the SMS type; `null` otherwise. */
export function checkCategory(
  category: DltTemplateCategory,
  smsType: SmsType,
  rules?: CategoryRules,
): 'DLT_CATEGORY_MISMATCH' | null {
  return categoryAllows(category, smsType, rules) ? null : 'DLT_CATEGORY_MISMATCH';
}
