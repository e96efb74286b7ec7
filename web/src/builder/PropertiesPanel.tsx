/**
 * The Properties panel of the applet clicked on the canvas: a form generated from the applet's
 * config schema (the SMS applet has its own, richer panel), with Apply and Cancel. It is a real
 * form: Tab moves through the fields, Enter in a field (Ctrl+Enter anywhere) applies, Escape
 * cancels, focus moves into the panel when it opens and back to the applet when it closes.
 */

import {
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { FlowApplet, FlowDocument } from '../../../src/flows/types.ts';
import { TextField } from '../components/ui.tsx';
import { type AppletType, configProblems } from './applets.ts';
import { labelOf } from './flow-model.ts';
import { SchemaField } from './SchemaForm.tsx';

export interface PanelProps {
  appletId: string;
  applet: FlowApplet;
  type: AppletType | undefined;
  doc: FlowDocument;
  onApply: (config: unknown, label: string) => void;
  onCancel: () => void;
  onSetStart: () => void;
  onDelete: () => void;
  /** Move the focus into the panel when it opens (it was opened from the keyboard). */
  autoFocus?: boolean;
}

/** The config editor of one applet type: the generic schema form, or a custom one. */
export type ConfigEditor = (props: {
  appletId: string;
  doc: FlowDocument;
  type: AppletType;
  config: unknown;
  onChange: (config: unknown) => void;
}) => ReactNode;

export function PropertiesPanel(props: PanelProps & { editors: Record<string, ConfigEditor> }) {
  const { appletId, applet, type, doc } = props;
  const [config, setConfig] = useState<unknown>(applet.config ?? {});
  const [label, setLabel] = useState(labelOf(applet) ?? '');
  const problems = useMemo(() => configProblems(applet.type, config), [applet.type, config]);
  const formRef = useRef<HTMLFormElement>(null);

  // An undo or redo while the panel is open changes the applet under it: start over from it.
  useEffect(() => {
    setConfig(applet.config ?? {});
    setLabel(labelOf(applet) ?? '');
  }, [applet]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the panel opens.
  useEffect(() => {
    if (!props.autoFocus) return;
    const first = formRef.current?.querySelector<HTMLElement>(
      '.panel-body input, .panel-body select, .panel-body textarea',
    );
    first?.focus();
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    props.onApply(config, label.trim());
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape') {
      event.preventDefault();
      props.onCancel();
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      // Ctrl+Enter applies from anywhere, the body's textarea included.
      event.preventDefault();
      props.onApply(config, label.trim());
    }
  }

  const Editor = props.editors[applet.type];
  const isStart = doc.start === appletId;
  return (
    <form
      ref={formRef}
      className="properties"
      aria-label={`Properties of ${appletId}`}
      onSubmit={submit}
      onKeyDown={onKeyDown}
      noValidate
    >
      <header className="panel-head">
        <div>
          <h2>{type?.title ?? applet.type}</h2>
          <div className="muted small mono">{appletId}</div>
        </div>
        <button
          type="button"
          className="btn ghost"
          onClick={props.onCancel}
          aria-label="Close properties"
        >
          ✕
        </button>
      </header>
      <div className="panel-body stack">
        <TextField label="Label on the canvas (optional)" value={label} onChange={setLabel} />
        {type && Editor ? (
          <Editor appletId={appletId} doc={doc} type={type} config={config} onChange={setConfig} />
        ) : type ? (
          <SchemaField
            name="config"
            schema={type.schema}
            value={config}
            onChange={setConfig}
            required
            path=""
            problems={problems}
            label="Settings"
          />
        ) : (
          <p className="alert danger">Unknown applet type {applet.type}.</p>
        )}
        {problems.length > 0 ? (
          <div className="alert warning" role="status" aria-label="Problems in these settings">
            <strong>Still to fix:</strong>
            <ul className="problems">
              {problems.map((p) => (
                <li key={`${p.path}:${p.message}`}>{p.message}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="row">
          <button type="button" className="btn small" onClick={props.onSetStart} disabled={isStart}>
            {isStart ? 'Calls start here' : 'Start calls here'}
          </button>
          <button type="button" className="btn small danger" onClick={props.onDelete}>
            Delete applet
          </button>
        </div>
      </div>
      <footer className="panel-foot row end">
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn primary">
          Apply
        </button>
      </footer>
    </form>
  );
}
