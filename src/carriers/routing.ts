/**
 * Carrier routing: which carriers may take a message, and in which order they are tried.
 *
 * Glossary:
 * - route: an entry of the ordered `routes` list. The first route whose `match` fits a message
 *   decides; an empty match fits everything. A message no route fits fails NO_ROUTE.
 * - strategy: how a route orders its carriers for one message. `failover`: in list order, so the
 *   first carrier takes everything while it is up and has room. `round-robin`: the starting
 *   carrier turns with every message. `weighted`: the starting carrier is chosen by smooth
 *   weighted round-robin (nginx's), so N messages split exactly by the weights, not by chance.
 *   Whatever the start, the rest of the route follows in list order: they are where a message goes
 *   when its carrier is down, busy or answers a transient error.
 * - no routes: every carrier, failover in the order they were configured (the behaviour before
 *   routing existed).
 *
 * Pure: no I/O, no clock; the order state lives in the object `createRouter` returns.
 */

import Type, { type Static } from 'typebox';

const SmsTypeLiteral = Type.Union([
  Type.Literal('transactional'),
  Type.Literal('service'),
  Type.Literal('promotional'),
]);

export const ROUTE_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

export const RouteMatchSchema = Type.Object(
  {
    smsType: Type.Optional(
      Type.Array(SmsTypeLiteral, { minItems: 1, description: 'SMS types the route takes' }),
    ),
    prefixes: Type.Optional(
      Type.Array(Type.String({ pattern: '^\\+[0-9]{1,15}$' }), {
        minItems: 1,
        description: 'E.164 prefixes of the recipient, e.g. +9198',
      }),
    ),
    accounts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'account SIDs' }),
    ),
    senderIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'DLT headers' }),
    ),
  },
  { additionalProperties: false, description: 'every condition given must hold; {} fits all' },
);

export const RouteStrategySchema = Type.Union([
  Type.Literal('failover'),
  Type.Literal('round-robin'),
  Type.Literal('weighted'),
]);
export type RouteStrategy = Static<typeof RouteStrategySchema>;

export const RouteSchema = Type.Object(
  {
    name: Type.String({ pattern: ROUTE_NAME_PATTERN }),
    match: Type.Optional(RouteMatchSchema),
    carriers: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'names from carriers[], in failover order',
    }),
    strategy: Type.Optional(RouteStrategySchema),
    weights: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0 }), {
        description: 'one per carrier, for the weighted strategy',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Route = Static<typeof RouteSchema>;
export type RouteMatch = Static<typeof RouteMatchSchema>;

/** What routing looks at in a message. */
export interface RoutedMessage {
  smsType: 'transactional' | 'service' | 'promotional';
  /** E.164. */
  to: string;
  accountSid: string;
  senderId: string;
}

/** Problems of a routing table against the carriers it names; empty when it is sound. */
export function routingProblems(
  routes: readonly Route[],
  carrierNames: readonly string[],
): string[] {
  const problems: string[] = [];
  const known = new Set(carrierNames);
  const names = new Set<string>();
  for (const route of routes) {
    const at = `route ${route.name}`;
    if (names.has(route.name)) problems.push(`${at}: the name is used twice`);
    names.add(route.name);
    if (new Set(route.carriers).size !== route.carriers.length)
      problems.push(`${at}: a carrier is listed twice`);
    for (const c of route.carriers)
      if (!known.has(c)) problems.push(`${at}: no carrier named ${c}`);
    if (route.strategy === 'weighted') {
      const w = route.weights;
      if (w === undefined || w.length !== route.carriers.length)
        problems.push(`${at}: weighted needs one weight per carrier`);
      else if (w.every((x) => x === 0)) problems.push(`${at}: the weights are all 0`);
    } else if (route.weights !== undefined) {
      problems.push(`${at}: weights are only for the weighted strategy`);
    }
  }
  return problems;
}

export function routeMatches(match: RouteMatch | undefined, m: RoutedMessage): boolean {
  if (match === undefined) return true;
  if (match.smsType && !match.smsType.includes(m.smsType)) return false;
  if (match.prefixes && !match.prefixes.some((p) => m.to.startsWith(p))) return false;
  if (match.accounts && !match.accounts.includes(m.accountSid)) return false;
  if (match.senderIds && !match.senderIds.includes(m.senderId)) return false;
  return true;
}

export interface Router {
  /** The route that decides for this message; undefined: none fits (NO_ROUTE). */
  routeFor(m: RoutedMessage): Route | undefined;
  /**
   * The carrier names to try for a message of `route`, in order; each call advances the
   * round-robin and weighted state by one message.
   */
  order(route: Route): string[];
  /**
   * Gives back the turn that `order` gave `first` when the message went nowhere (it was put back
   * in the queue), so the split counts only messages sent.
   */
  unpick(route: Route, first: string): void;
}

/**
 * A router over one routing table. With no routes, every carrier of `carrierNames()` in order
 * (read at each message, so carriers added while running are included).
 */
export function createRouter(
  routes: readonly Route[],
  carrierNames: () => readonly string[],
): Router {
  const turns = new Map<string, number>();
  /** Smooth weighted round-robin: current weight per carrier, per route. */
  const current = new Map<string, number[]>();

  function weightedStart(route: Route): number {
    const weights = route.weights ?? route.carriers.map(() => 1);
    let state = current.get(route.name);
    if (!state) {
      state = weights.map(() => 0);
      current.set(route.name, state);
    }
    const total = weights.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      state[i]! += weights[i]!;
      if (state[i]! > state[best]!) best = i;
    }
    state[best]! -= total;
    return best;
  }

  return {
    routeFor(m) {
      if (routes.length === 0) {
        return { name: 'default', carriers: [...carrierNames()], strategy: 'failover' };
      }
      return routes.find((r) => routeMatches(r.match, m));
    },
    order(route) {
      const carriers = route.carriers;
      let start = 0;
      if (route.strategy === 'round-robin') {
        const turn = turns.get(route.name) ?? 0;
        turns.set(route.name, turn + 1);
        start = turn % carriers.length;
      } else if (route.strategy === 'weighted') {
        start = weightedStart(route);
      }
      if (start === 0) return [...carriers];
      return [carriers[start]!, ...carriers.filter((_, i) => i !== start)];
    },
    unpick(route, first) {
      const i = route.carriers.indexOf(first);
      if (i < 0) return;
      if (route.strategy === 'round-robin') {
        turns.set(route.name, Math.max(0, (turns.get(route.name) ?? 0) - 1));
      } else if (route.strategy === 'weighted') {
        // The smooth round-robin's step is a sum: taking one pick back is subtracting it.
        const state = current.get(route.name);
        const weights = route.weights ?? route.carriers.map(() => 1);
        if (!state) return;
        const total = weights.reduce((a, b) => a + b, 0);
        for (let j = 0; j < weights.length; j++) state[j]! -= weights[j]!;
        state[i]! += total;
      }
    },
  };
}
