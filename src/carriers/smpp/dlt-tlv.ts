/**
 * India DLT fields as submit_sm TLVs: PE (entity) ID, template ID and the PE-TM chain hash.
 *
 * The tags are de-facto (0x1400 / 0x1401 / 0x1402), not a published standard, so each
 * carrier configures its own tags and whether values are NUL-terminated. The `smpp`
 * package keeps TLV definitions in one module-global registry keyed by name, so each
 * distinct (tag, string type) pair is registered once under its own name and several
 * carriers with different tags can share the process.
 */
import { createHash } from 'node:crypto';
import smpp from 'smpp';
import type { DltTlvTags } from './config.ts';

/**
 * The PE-TM chain hash (TRAI, Dec 2024): SHA-256, hex, of the IDs joined by commas without
 * spaces, starting with the PE ID and ending with the TM-DF (delivery) ID.
 */
export function tmChainHash(chain: readonly string[]): string {
  return createHash('sha256').update(chain.join(',')).digest('hex');
}

/** Registers (once) and returns the `smpp` TLV name that writes `tag` with `stringType`. */
export function dltTlvName(tag: number, stringType: DltTlvTags['stringType']): string {
  const name = `callflow_dlt_${tag.toString(16)}_${stringType}`;
  if (!(name in smpp.tlvs)) {
    const type = stringType === 'cstring' ? smpp.types.tlv.cstring : smpp.types.tlv.string;
    smpp.addTLV(name, { id: tag, type });
  }
  return name;
}

export interface DltFields {
  dltEntityId?: string | undefined;
  dltTemplateId?: string | undefined;
}

/**
 * The TLV fields (registered name -> value) to merge into a submit_sm. A field is sent only
 * when its tag is configured and its value present; the chain hash needs the PE ID and a
 * configured TM chain.
 */
export function dltTlvFields(
  tags: DltTlvTags,
  tmChain: readonly string[],
  fields: DltFields,
): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (tag: number | null, value: string | undefined) => {
    if (tag !== null && value) out[dltTlvName(tag, tags.stringType)] = value;
  };
  put(tags.entityId, fields.dltEntityId);
  put(tags.templateId, fields.dltTemplateId);
  if (fields.dltEntityId && tmChain.length > 0) {
    put(tags.tmChain, tmChainHash([fields.dltEntityId, ...tmChain]));
  }
  return out;
}
