/**
 * Live validation of the flow being edited, with the engine's own validator (src/flows/validate.ts
 * runs in the browser: it is pure). Issues are grouped per applet, and an applet whose issues did
 * not change keeps the same issues object, so only applets whose problems changed re-render.
 */

import { useDeferredValue, useMemo, useRef } from 'react';
import type { FlowDocument } from '../../../src/flows/types.ts';
import {
  type FlowValidation,
  type TemplateLookup,
  validateFlow,
} from '../../../src/flows/validate.ts';
import type { AppletIssues } from './graph.ts';

export interface LiveValidation {
  result: FlowValidation;
  byApplet: ReadonlyMap<string, AppletIssues>;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function useValidation(
  doc: FlowDocument,
  templates: TemplateLookup | undefined,
): LiveValidation {
  // Typing stays fluid on big flows: validation runs on the deferred document.
  const deferred = useDeferredValue(doc);
  const previous = useRef<Map<string, AppletIssues>>(new Map());
  return useMemo(() => {
    const result = validateFlow(deferred, templates ? { templates } : {});
    const grouped = new Map<string, AppletIssues>();
    for (const issue of result.errors) {
      if (issue.appletId === undefined) continue;
      const entry = grouped.get(issue.appletId) ?? { errors: [], warnings: [] };
      entry.errors.push(issue.message);
      grouped.set(issue.appletId, entry);
    }
    for (const issue of result.warnings) {
      if (issue.appletId === undefined) continue;
      const entry = grouped.get(issue.appletId) ?? { errors: [], warnings: [] };
      entry.warnings.push(issue.message);
      grouped.set(issue.appletId, entry);
    }
    const byApplet = new Map<string, AppletIssues>();
    for (const [id, issues] of grouped) {
      const old = previous.current.get(id);
      byApplet.set(
        id,
        old && sameList(old.errors, issues.errors) && sameList(old.warnings, issues.warnings)
          ? old
          : issues,
      );
    }
    previous.current = byApplet;
    return { result, byApplet };
  }, [deferred, templates]);
}
