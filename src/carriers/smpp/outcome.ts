/**
 * From the result of each part to the outcome of the message. A message succeeds only when
 * every part was accepted. Otherwise a permanent refusal wins over a transient one
 * (retrying cannot help), else the first failure in part order is reported; the carrier
 * message IDs of the accepted parts travel along so their receipts still match.
 */
import type { SubmitOutcome } from '../types.ts';

export type SubmitFailure = Exclude<SubmitOutcome, { ok: true }>;

export type PartResult =
  | { kind: 'accepted'; id: string }
  | { kind: 'failed'; failure: SubmitFailure }
  /** Not sent, because an earlier part of the same message had already failed. */
  | { kind: 'skipped' };

export function unavailable(detail: string): SubmitFailure {
  return { ok: false, transient: true, code: 'CARRIER_UNAVAILABLE', detail };
}

export function messageOutcome(carrier: string, results: readonly PartResult[]): SubmitOutcome {
  const accepted = results.flatMap((r) => (r.kind === 'accepted' ? [r.id] : []));
  if (accepted.length === results.length) {
    return { ok: true, carrier, carrierMessageIds: accepted };
  }
  const failures = results.flatMap((r) => (r.kind === 'failed' ? [r.failure] : []));
  const failure =
    failures.find((f) => !f.transient) ?? failures[0] ?? unavailable('no part was sent');
  return accepted.length > 0 ? { ...failure, partsAccepted: accepted } : failure;
}
