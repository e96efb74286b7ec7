/**
 * From the flow document to React Flow's nodes and edges, reusing every object whose inputs did
 * not change. React Flow re-renders a node when its object changes; reuse keeps a canvas of
 * hundreds of applets responsive while one of them is edited or dragged.
 */

import type { Edge } from '@xyflow/react';
import type { FlowApplet, FlowDocument } from '../../../src/flows/types.ts';
import { type AppletNodeData, type AppletNodeType, summarize } from './AppletNode.tsx';
import { type AppletType, exitsOf } from './applets.ts';
import { fallbackPosition, labelOf } from './flow-model.ts';

export interface AppletIssues {
  errors: string[];
  warnings: string[];
}

export interface RunState {
  /** Applets the test call has passed, in order, and the one it is in now. */
  visited: ReadonlySet<string>;
  active: string | undefined;
  /** `source:exit` of every exit the call took. */
  taken: ReadonlySet<string>;
}

const NO_ISSUES: AppletIssues = { errors: [], warnings: [] };

interface DataInputs {
  applet: FlowApplet;
  type: AppletType | undefined;
  isStart: boolean;
  issues: AppletIssues;
  run: AppletNodeData['run'];
}

/** Keeps the last data object per applet and rebuilds it only when one of its inputs changed. */
export class NodeDataCache {
  readonly #entries = new Map<string, { inputs: DataInputs; data: AppletNodeData }>();

  get(id: string, inputs: DataInputs): AppletNodeData {
    const old = this.#entries.get(id);
    if (
      old &&
      old.inputs.applet === inputs.applet &&
      old.inputs.type === inputs.type &&
      old.inputs.isStart === inputs.isStart &&
      old.inputs.issues === inputs.issues &&
      old.inputs.run === inputs.run
    ) {
      return old.data;
    }
    const { applet, type } = inputs;
    const data: AppletNodeData = {
      appletId: id,
      type: applet.type,
      title: type?.title ?? applet.type,
      label: labelOf(applet),
      summary: summarize(applet.type, applet.config),
      exits: exitsOf(type, applet.config ?? {}, Object.keys(applet.next ?? {})),
      isStart: inputs.isStart,
      errors: inputs.issues.errors,
      warnings: inputs.issues.warnings,
      run: inputs.run,
    };
    this.#entries.set(id, { inputs, data });
    return data;
  }

  prune(ids: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
  }
}

/**
 * The next nodes array: the previous node object where nothing changed (keeping what React Flow
 * measured and whether it is selected), a new one where data or position did.
 */
export function reconcileNodes(
  prev: AppletNodeType[],
  doc: FlowDocument,
  types: ReadonlyMap<string, AppletType>,
  issues: ReadonlyMap<string, AppletIssues>,
  run: RunState | undefined,
  cache: NodeDataCache,
): AppletNodeType[] {
  const prevById = new Map(prev.map((n) => [n.id, n]));
  const ids = Object.keys(doc.applets);
  cache.prune(new Set(ids));
  let changed = ids.length !== prev.length;
  const next = ids.map((id, i) => {
    const applet = doc.applets[id]!;
    const data = cache.get(id, {
      applet,
      type: types.get(applet.type),
      isStart: doc.start === id,
      issues: issues.get(id) ?? NO_ISSUES,
      run: run?.active === id ? 'active' : run?.visited.has(id) ? 'visited' : undefined,
    });
    const old = prevById.get(id);
    const saved = doc.layout?.[id];
    // While an applet is dragged React Flow owns its position; the document catches up on drop.
    const position = old?.dragging ? old.position : (saved ?? old?.position ?? fallbackPosition(i));
    if (
      old &&
      old.data === data &&
      old.position.x === position.x &&
      old.position.y === position.y
    ) {
      if (prev[i] !== old) changed = true;
      return old;
    }
    changed = true;
    const ariaLabel = `${data.label ?? data.title} applet ${id}`;
    return old
      ? { ...old, data, position, ariaLabel }
      : { id, type: 'applet' as const, data, position, ariaLabel };
  });
  return changed ? next : prev;
}

export function edgeId(source: string, exit: string): string {
  return `${source}:${exit}`;
}

/** One edge per connected exit; `selected` kept from the previous edges. */
export function reconcileEdges(prev: Edge[], doc: FlowDocument, run: RunState | undefined): Edge[] {
  const prevById = new Map(prev.map((e) => [e.id, e]));
  const next: Edge[] = [];
  let changed = false;
  for (const [source, applet] of Object.entries(doc.applets)) {
    for (const [exit, target] of Object.entries(applet.next ?? {})) {
      if (!Object.hasOwn(doc.applets, target)) continue;
      const id = edgeId(source, exit);
      const taken = run?.taken.has(id) ?? false;
      const old = prevById.get(id);
      if (old && old.target === target && Boolean(old.animated) === taken) {
        next.push(old);
        continue;
      }
      changed = true;
      next.push({
        id,
        source,
        sourceHandle: exit,
        target,
        targetHandle: 'in',
        animated: taken,
        className: taken ? 'edge-taken' : undefined,
        selected: old?.selected ?? false,
        ariaLabel: `${source} ${exit} to ${target}`,
      });
    }
  }
  if (!changed && next.length === prev.length && next.every((e, i) => e === prev[i])) return prev;
  return next;
}
