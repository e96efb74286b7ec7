/**
 * What the simulator does with each submit: a seeded, repeatable mix of receipt outcomes,
 * and rules by destination number that override the mix (for tests and demos, like the
 * magic numbers of other providers' test credentials).
 */

export type ReceiptOutcome = 'delivered' | 'undelivered' | 'expired' | 'rejected';

export const RECEIPT_OUTCOMES: readonly ReceiptOutcome[] = [
  'delivered',
  'undelivered',
  'expired',
  'rejected',
];

/** Weights of each outcome; they need not sum to 1. Missing ones weigh 0. */
export type OutcomeMix = Partial<Record<ReceiptOutcome, number>>;

export interface DestinationRule {
  /** Applies to destination numbers ending with these digits. */
  suffix: string;
  /** Answer submit_sm with this command_status instead of accepting. */
  submitStatus?: number;
  /** false: never answer submit_sm (the client times out). */
  respond?: boolean;
  /** Answer submit_sm after this delay instead of the simulator's. */
  responseDelayMs?: number;
  /** The receipt to send, or none at all. */
  receipt?: ReceiptOutcome | 'none';
}

/**
 * The built-in rules, by the last four digits of the destination:
 * - 0000 undelivered (UNDELIV), 0001 expired (EXPIRED), 0002 rejected (REJECTD) receipts;
 * - 0003 refused at submit with ESME_RINVDSTADR (0x0B), a permanent error;
 * - 0004 accepted without any receipt;
 * - 0005 never answered (the client's response timeout fires).
 */
export const MAGIC_RULES: readonly DestinationRule[] = [
  { suffix: '0000', receipt: 'undelivered' },
  { suffix: '0001', receipt: 'expired' },
  { suffix: '0002', receipt: 'rejected' },
  { suffix: '0003', submitStatus: 0x0b },
  { suffix: '0004', receipt: 'none' },
  { suffix: '0005', respond: false },
];

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws an outcome from the mix; an empty or all-zero mix always delivers. */
export function drawOutcome(mix: OutcomeMix, random: () => number): ReceiptOutcome {
  const total = RECEIPT_OUTCOMES.reduce((sum, outcome) => sum + (mix[outcome] ?? 0), 0);
  if (total <= 0) return 'delivered';
  let point = random() * total;
  for (const outcome of RECEIPT_OUTCOMES) {
    point -= mix[outcome] ?? 0;
    if (point < 0) return outcome;
  }
  return 'delivered';
}

/** The first rule whose suffix ends the destination (longest suffixes should come first). */
export function ruleFor(
  rules: readonly DestinationRule[],
  destination: string,
): DestinationRule | undefined {
  return rules.find((rule) => destination.endsWith(rule.suffix));
}

/** stat, message_state and err of a receipt text for each outcome (err values are arbitrary). */
export const RECEIPT_FIELDS: Record<ReceiptOutcome, { stat: string; state: number; err: string }> =
  {
    delivered: { stat: 'DELIVRD', state: 2, err: '000' },
    undelivered: { stat: 'UNDELIV', state: 5, err: '001' },
    expired: { stat: 'EXPIRED', state: 3, err: '027' },
    rejected: { stat: 'REJECTD', state: 8, err: '069' },
  };
