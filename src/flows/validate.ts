/**
 * The flow validator. Refuses, each with a reason code and the applet it concerns: a document of
 * the wrong shape, an unknown applet type, a config that breaks its schema, an exit that is not
 * connected or points nowhere, a variable no earlier applet can produce, an SMS body that can never
 * match its DLT template. Warns on applets that cannot be reached.
 *
 * "A variable no earlier applet can produce": refused when NO path from the start to the applet
 * passes an applet that produces it. A variable produced on some paths only is accepted; on the
 * other paths it renders empty, and the delivery worker's DLT check has the last word.
 */

import { Compile } from 'typebox/compile';
import { checkBody } from '../dlt/check-body.ts';
import type { ReasonCode } from '../errors.ts';
import { CALL_VARIABLE_NAMES } from '../sms/variables.ts';
import { type AnyAppletDefinition, appletDefinition, configValidator } from './registry.ts';
import { APPLET_ID_PATTERN, FlowDocumentSchema } from './schema.ts';
import { schemaProblems } from './schema-errors.ts';
import type { AppletId, FlowDocument } from './types.ts';

export interface FlowIssue {
  code: ReasonCode;
  appletId?: string;
  exit?: string;
  /** JSON pointer into the flow document. */
  path?: string;
  message: string;
}

export interface FlowValidation {
  ok: boolean;
  errors: FlowIssue[];
  warnings: FlowIssue[];
}

/** The content of a registered DLT template, or undefined when the account has none by that ID. */
export type TemplateLookup = (entityId: string, templateId: string) => string | undefined;

export interface ValidateOptions {
  /** Without it, SMS bodies are not checked against their templates. */
  templates?: TemplateLookup;
}

/** Variables every call has; `{Digits}` exists only after an IVR. */
export const CALL_VARIABLES: readonly string[] = CALL_VARIABLE_NAMES.filter(
  (name) => name !== 'Digits',
);

const documentValidator = Compile(FlowDocumentSchema);
const appletIdPattern = new RegExp(APPLET_ID_PATTERN);

interface Node {
  id: AppletId;
  def: AnyAppletDefinition | undefined;
  /** The config, when it passed its schema. */
  config: unknown;
  /** Connected exits that lead to an existing applet. */
  edges: AppletId[];
}

export function validateFlow(flow: unknown, options: ValidateOptions = {}): FlowValidation {
  const errors: FlowIssue[] = [];
  const warnings: FlowIssue[] = [];
  if (!documentValidator.Check(flow)) {
    for (const p of schemaProblems(FlowDocumentSchema, documentValidator.Errors(flow))) {
      errors.push({
        code: 'FLOW_INVALID',
        path: p.path,
        message: p.message.replace(/^config/, 'flow'),
      });
    }
    return { ok: false, errors, warnings };
  }
  const doc = flow as FlowDocument;
  const ids = Object.keys(doc.applets);
  if (ids.length === 0)
    errors.push({ code: 'FLOW_INVALID', path: '/applets', message: 'the flow has no applets' });
  else if (!Object.hasOwn(doc.applets, doc.start)) {
    errors.push({
      code: 'FLOW_INVALID',
      path: '/start',
      message: `start applet "${doc.start}" does not exist`,
    });
  }
  const nodes = new Map<AppletId, Node>();
  for (const id of ids) nodes.set(id, checkApplet(doc, id, errors));

  const reachable = reachableFrom(doc.start, nodes);
  for (const id of ids) {
    if (!reachable.has(id)) {
      warnings.push({
        code: 'FLOW_UNREACHABLE_APPLET',
        appletId: id,
        path: `/applets/${id}`,
        message: `applet "${id}" cannot be reached from the start`,
      });
    }
  }
  checkVariables(doc.start, nodes, reachable, errors);
  if (options.templates) checkTemplates(nodes, options.templates, errors, warnings);
  return { ok: errors.length === 0, errors, warnings };
}

function checkApplet(doc: FlowDocument, id: AppletId, errors: FlowIssue[]): Node {
  const applet = doc.applets[id]!;
  const path = `/applets/${id}`;
  const next = applet.next ?? {};
  const existing = Object.values(next).filter((target) => Object.hasOwn(doc.applets, target));
  const node: Node = { id, def: undefined, config: undefined, edges: existing };
  if (!appletIdPattern.test(id)) {
    errors.push({
      code: 'FLOW_INVALID',
      appletId: id,
      path,
      message: `applet ID "${id}" must start with a letter and hold only letters, digits, _ and -`,
    });
  }
  const def = appletDefinition(applet.type);
  if (!def || (applet.version !== undefined && applet.version !== def.version)) {
    const version = applet.version === undefined ? '' : ` version ${applet.version}`;
    errors.push({
      code: 'FLOW_UNKNOWN_APPLET_TYPE',
      appletId: id,
      path: `${path}/type`,
      message: `applet "${id}" has unknown type "${applet.type}"${version}`,
    });
    return node;
  }
  node.def = def;
  const config = applet.config ?? {};
  const validator = configValidator(def);
  if (!validator.Check(config)) {
    for (const p of schemaProblems(def.configSchema, validator.Errors(config))) {
      errors.push({
        code: 'FLOW_INVALID_CONFIG',
        appletId: id,
        path: `${path}/config${p.path}`,
        message: `${def.title} "${id}": ${p.message}`,
      });
    }
    return node;
  }
  node.config = config;
  const exits = def.exits(config);
  const duplicates = exits.filter((exit, i) => exits.indexOf(exit) !== i);
  for (const exit of new Set(duplicates)) {
    errors.push({
      code: 'FLOW_INVALID_CONFIG',
      appletId: id,
      exit,
      path: `${path}/config`,
      message: `${def.title} "${id}" has the exit "${exit}" twice`,
    });
  }
  for (const exit of exits) {
    const target = next[exit];
    if (target === undefined) {
      errors.push({
        code: 'FLOW_DANGLING_EXIT',
        appletId: id,
        exit,
        path: `${path}/next`,
        message: `exit "${exit}" of "${id}" is not connected`,
      });
    } else if (!Object.hasOwn(doc.applets, target)) {
      errors.push({
        code: 'FLOW_DANGLING_EXIT',
        appletId: id,
        exit,
        path: `${path}/next/${exit}`,
        message: `exit "${exit}" of "${id}" points to "${target}", which does not exist`,
      });
    }
  }
  for (const exit of Object.keys(next)) {
    if (!exits.includes(exit)) {
      errors.push({
        code: 'FLOW_DANGLING_EXIT',
        appletId: id,
        exit,
        path: `${path}/next/${exit}`,
        message: `${def.title} "${id}" has no exit "${exit}" (its exits: ${exits.join(', ') || 'none'})`,
      });
    }
  }
  node.edges = exits
    .map((exit) => next[exit])
    .filter((t): t is string => t !== undefined && Object.hasOwn(doc.applets, t));
  return node;
}

function reachableFrom(start: AppletId, nodes: Map<AppletId, Node>): Set<AppletId> {
  const seen = new Set<AppletId>();
  const queue = nodes.has(start) ? [start] : [];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...nodes.get(id)!.edges);
  }
  return seen;
}

/**
 * For each applet, the variables that some path from the start can have produced on entry
 * (a union over predecessors, iterated to a fixed point because flows may loop).
 */
function checkVariables(
  start: AppletId,
  nodes: Map<AppletId, Node>,
  reachable: Set<AppletId>,
  errors: FlowIssue[],
): void {
  const available = new Map<AppletId, Set<string>>();
  if (!nodes.has(start)) return;
  available.set(start, new Set());
  const work = [start];
  while (work.length > 0) {
    const id = work.pop()!;
    const node = nodes.get(id)!;
    const out = new Set(available.get(id));
    if (node.def?.produces && node.config !== undefined) {
      for (const name of node.def.produces(id, node.config)) out.add(name);
    }
    for (const target of node.edges) {
      const into = available.get(target) ?? new Set<string>();
      const before = into.size;
      for (const name of out) into.add(name);
      if (!available.has(target) || into.size > before) {
        available.set(target, into);
        work.push(target);
      }
    }
  }
  for (const [id, node] of nodes) {
    if (!reachable.has(id) || !node.def?.consumes || node.config === undefined) continue;
    const known = available.get(id) ?? new Set<string>();
    for (const name of new Set(node.def.consumes(node.config))) {
      if (isAvailable(name, known)) continue;
      errors.push({
        code: 'FLOW_UNKNOWN_VARIABLE',
        appletId: id,
        path: `/applets/${id}/config`,
        message: `"${id}" uses {${name}}, which no applet before it can produce`,
      });
    }
  }
}

function isAvailable(name: string, known: Set<string>): boolean {
  if (CALL_VARIABLES.includes(name) || known.has(name)) return true;
  const dot = name.indexOf('.');
  return dot > 0 && known.has(`${name.slice(0, dot)}.*`);
}

function checkTemplates(
  nodes: Map<AppletId, Node>,
  templates: TemplateLookup,
  errors: FlowIssue[],
  warnings: FlowIssue[],
): void {
  for (const [id, node] of nodes) {
    if (!node.def?.dlt || node.config === undefined) continue;
    const use = node.def.dlt(node.config);
    if (!use) continue;
    const content = templates(use.dltEntityId, use.dltTemplateId);
    if (content === undefined) {
      warnings.push({
        code: 'DLT_TEMPLATE_NOT_FOUND',
        appletId: id,
        path: `/applets/${id}/config/dltTemplateId`,
        message: `template ${use.dltTemplateId} of entity ${use.dltEntityId} is not registered; the SMS will be refused until it is`,
      });
      continue;
    }
    const result = checkBody(use.body, content);
    if (result.verdict === 'never') {
      errors.push({
        code: 'FLOW_TEMPLATE_NEVER_MATCHES',
        appletId: id,
        path: `/applets/${id}/config/body`,
        message: `the body of "${id}" can never match template ${use.dltTemplateId}${result.reason ? `: ${result.reason}` : ''}`,
      });
    }
  }
}
