/**
 * What an SMS applet can use from the flow around it: the variables available when it runs
 * (`{Digits}` only after an IVR, `{passthru1.field}` only after a sync Passthru) and the Passthru
 * applets before it, for the dynamic recipient.
 */

import type { FlowDocument } from '../../../../src/flows/types.ts';
import { CALL_VARIABLE_NAMES } from '../../../../src/sms/index.ts';

/** The call variables every call has: all but {Digits}, which needs an IVR first. */
export const ALWAYS_VARIABLES = CALL_VARIABLE_NAMES.filter((name) => name !== 'Digits');

/** Applets from which `target` can be reached (its ancestors), following `next` backwards. */
export function appletsBefore(doc: FlowDocument, target: string): Set<string> {
  const parents = new Map<string, string[]>();
  for (const [id, applet] of Object.entries(doc.applets)) {
    for (const to of Object.values(applet.next ?? {}))
      parents.set(to, [...(parents.get(to) ?? []), id]);
  }
  const seen = new Set<string>();
  const queue = [...(parents.get(target) ?? [])];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(parents.get(id) ?? []));
  }
  return seen;
}

/** Sync Passthru applets before this one: their JSON answers' fields are variables here. */
export function passthrusBefore(doc: FlowDocument, target: string): string[] {
  return [...appletsBefore(doc, target)].filter((id) => {
    const applet = doc.applets[id]!;
    const mode = (applet.config as { mode?: string } | undefined)?.mode;
    return applet.type === 'passthru' && mode !== 'async';
  });
}

export function hasIvrBefore(doc: FlowDocument, target: string): boolean {
  return [...appletsBefore(doc, target)].some((id) => doc.applets[id]?.type === 'ivr');
}
