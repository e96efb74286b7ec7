/**
 * Edits of a flow document, each returning a new document (the undo history keeps the old ones).
 * Untouched applets keep their object identity, which is what lets the canvas re-render only the
 * applets that changed.
 */

import type { FlowApplet, FlowDocument } from '../../../src/flows/types.ts';

export type Position = { x: number; y: number };

/** `sms1`, `sms2`, …: short, readable, and valid in variable names (`{passthru1.phone}`). */
export function newAppletId(doc: FlowDocument, type: string): string {
  const base = type.replace(/[^A-Za-z0-9_-]/g, '') || 'applet';
  for (let n = 1; ; n++) {
    const id = `${base}${n}`;
    if (!Object.hasOwn(doc.applets, id)) return id;
  }
}

export function addApplet(
  doc: FlowDocument,
  id: string,
  applet: FlowApplet,
  position: Position,
): FlowDocument {
  return {
    ...doc,
    // The first applet on an empty canvas is where calls start.
    start: doc.start && Object.hasOwn(doc.applets, doc.start) ? doc.start : id,
    applets: { ...doc.applets, [id]: applet },
    layout: { ...doc.layout, [id]: roundPosition(position) },
  };
}

export function removeApplets(doc: FlowDocument, ids: readonly string[]): FlowDocument {
  if (ids.length === 0) return doc;
  const gone = new Set(ids);
  const applets: Record<string, FlowApplet> = {};
  for (const [id, applet] of Object.entries(doc.applets)) {
    if (gone.has(id)) continue;
    const next = applet.next ?? {};
    const pointsAway = Object.values(next).some((target) => gone.has(target));
    applets[id] = pointsAway
      ? {
          ...applet,
          next: Object.fromEntries(Object.entries(next).filter(([, t]) => !gone.has(t))),
        }
      : applet;
  }
  const layout = Object.fromEntries(
    Object.entries(doc.layout ?? {}).filter(([id]) => !gone.has(id)),
  );
  const start = gone.has(doc.start) ? (Object.keys(applets)[0] ?? '') : doc.start;
  return { ...doc, start, applets, layout };
}

/** Points one exit at a target; an exit leads to one applet, so this replaces any earlier link. */
export function connectExit(
  doc: FlowDocument,
  source: string,
  exit: string,
  target: string,
): FlowDocument {
  const applet = doc.applets[source];
  if (!applet || !Object.hasOwn(doc.applets, target)) return doc;
  if (applet.next?.[exit] === target) return doc;
  return {
    ...doc,
    applets: { ...doc.applets, [source]: { ...applet, next: { ...applet.next, [exit]: target } } },
  };
}

export function disconnectExits(
  doc: FlowDocument,
  links: readonly { source: string; exit: string }[],
): FlowDocument {
  if (links.length === 0) return doc;
  const applets = { ...doc.applets };
  for (const { source, exit } of links) {
    const applet = applets[source];
    if (!applet?.next || !Object.hasOwn(applet.next, exit)) continue;
    const next = { ...applet.next };
    delete next[exit];
    applets[source] = { ...applet, next };
  }
  return { ...doc, applets };
}

export function moveApplets(
  doc: FlowDocument,
  moves: readonly { id: string; position: Position }[],
): FlowDocument {
  const layout = { ...doc.layout };
  let changed = false;
  for (const { id, position } of moves) {
    const rounded = roundPosition(position);
    const old = layout[id];
    if (old && old.x === rounded.x && old.y === rounded.y) continue;
    layout[id] = rounded;
    changed = true;
  }
  return changed ? { ...doc, layout } : doc;
}

/**
 * New config and label for an applet. Links from exits the new config no longer has (an IVR
 * option removed) are dropped, since they could never be taken.
 */
export function updateApplet(
  doc: FlowDocument,
  id: string,
  patch: { config: unknown; label?: string },
  exits: readonly string[],
): FlowDocument {
  const applet = doc.applets[id];
  if (!applet) return doc;
  const next = Object.fromEntries(
    Object.entries(applet.next ?? {}).filter(([exit]) => exits.includes(exit)),
  );
  const updated: FlowApplet & { label?: string } = { ...applet, config: patch.config, next };
  if (patch.label) updated.label = patch.label;
  else delete updated.label;
  return { ...doc, applets: { ...doc.applets, [id]: updated } };
}

export function setStart(doc: FlowDocument, id: string): FlowDocument {
  return Object.hasOwn(doc.applets, id) && doc.start !== id ? { ...doc, start: id } : doc;
}

export function renameFlow(doc: FlowDocument, name: string): FlowDocument {
  return { ...doc, name };
}

/** Where an applet without a saved position goes: a simple grid, so nothing overlaps. */
export function fallbackPosition(index: number): Position {
  return { x: (index % 5) * 260, y: Math.floor(index / 5) * 180 };
}

function roundPosition(p: Position): Position {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

/** The applet's `label` (the schema allows one; FlowApplet's type does not name it). */
export function labelOf(applet: FlowApplet): string | undefined {
  return (applet as FlowApplet & { label?: string }).label;
}
