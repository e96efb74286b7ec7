/**
 * One applet on the canvas: its type, ID and a summary of its config, with one labelled source
 * handle per exit along the bottom. Memoised, and its data object changes only when this applet
 * does, so moving one applet on a 200-applet canvas re-renders one node.
 */

import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { APPEARANCE } from './applets.ts';

export interface AppletNodeData extends Record<string, unknown> {
  appletId: string;
  type: string;
  title: string;
  label: string | undefined;
  summary: string;
  exits: string[];
  isStart: boolean;
  errors: string[];
  warnings: string[];
  /** During a test call: the applet running now, or one the call has passed. */
  run: 'active' | 'visited' | undefined;
}

export type AppletNodeType = Node<AppletNodeData, 'applet'>;

const MIN_WIDTH = 200;
/** Room for one exit: its label at about 6.5 px a character, and a margin. */
const exitSpacing = (exits: string[]) => Math.max(48, ...exits.map((e) => e.length * 6.5 + 18));

function AppletNodeView({ data, selected }: NodeProps<AppletNodeType>) {
  const look = APPEARANCE[data.type] ?? { glyph: '•', color: '#555' };
  const width = Math.max(MIN_WIDTH, data.exits.length * exitSpacing(data.exits));
  const classes = ['applet-node'];
  if (selected) classes.push('selected');
  if (data.errors.length > 0) classes.push('has-errors');
  if (data.run) classes.push(`run-${data.run}`);
  if (data.exits.length === 0) classes.push('no-exits');
  const problems = [...data.errors, ...data.warnings].join('\n');
  return (
    <div
      className={classes.join(' ')}
      style={{ width, borderTopColor: look.color }}
      data-applet-id={data.appletId}
      data-run={data.run}
      title={problems || undefined}
    >
      <Handle type="target" position={Position.Top} id="in" className="applet-handle-in" />
      <div className="applet-head">
        <span className="applet-glyph" style={{ background: look.color }} aria-hidden="true">
          {look.glyph}
        </span>
        <span className="applet-title">{data.label ?? data.title}</span>
        <span className="applet-id mono">{data.appletId}</span>
      </div>
      <div className="applet-summary">
        {data.summary || <span className="muted">Not configured</span>}
      </div>
      <div className="applet-badges">
        {data.isStart ? <span className="badge primary">Start</span> : null}
        {data.errors.length > 0 ? (
          <span className="badge danger" data-testid="applet-errors">
            {data.errors.length} error{data.errors.length === 1 ? '' : 's'}
          </span>
        ) : null}
        {data.warnings.length > 0 ? (
          <span className="badge warning">
            {data.warnings.length} warning{data.warnings.length === 1 ? '' : 's'}
          </span>
        ) : null}
      </div>
      {data.exits.length > 0 ? (
        <div className="applet-exits">
          {data.exits.map((exit, i) => {
            const left = `${((i + 0.5) / data.exits.length) * 100}%`;
            return (
              <div key={exit} className="applet-exit" style={{ left }}>
                <span className="applet-exit-label">{exit}</span>
                <Handle
                  type="source"
                  position={Position.Bottom}
                  id={exit}
                  className="applet-handle-out"
                  aria-label={`Exit ${exit} of ${data.appletId}`}
                  data-exit={exit}
                />
              </div>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}

export const AppletNode = memo(AppletNodeView);

const MAX_SUMMARY = 90;

/** One line saying what an applet does, from its config. */
export function summarize(type: string, config: unknown): string {
  const c = (config ?? {}) as Record<string, unknown>;
  let text = '';
  switch (type) {
    case 'greeting':
      text = String(c.text ?? c.audioUrl ?? '');
      break;
    case 'ivr':
      text =
        c.mode === 'menu'
          ? `Menu: ${((c.options as { digit: string; label?: string }[] | undefined) ?? []).map((o) => (o.label ? `${o.digit} ${o.label}` : o.digit)).join(', ')}`
          : `Gather up to ${String(c.maxDigits ?? 10)} digits`;
      break;
    case 'connect':
      text = ((c.numbers as string[] | undefined) ?? []).join(', ');
      break;
    case 'passthru':
      text = String(c.url ?? '');
      break;
    case 'sms': {
      const to = c.to as { kind?: string; number?: string; from?: string } | undefined;
      const who =
        to?.kind === 'custom' ? to.number : to?.kind === 'dynamic' ? `{${to.from}}` : to?.kind;
      text = c.body ? `To ${who ?? 'caller'}: ${String(c.body)}` : '';
      break;
    }
    case 'hangup':
      text = 'Ends the call.';
      break;
    default:
      text = '';
  }
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
}
