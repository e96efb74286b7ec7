/** The Builder's toolbar: the flow's name, undo and redo, save, publish, ExoPhones, test call. */

import { useEffect, useState } from 'react';
import type { SavedState } from './BuilderEditor.tsx';
import type { FlowHistory } from './history.ts';
import { NumbersDialog } from './NumbersDialog.tsx';

export function BuilderToolbar(props: {
  name: string;
  onRename: (name: string) => void;
  history: FlowHistory;
  saved: SavedState | null;
  busy: boolean;
  errorCount: number;
  appletCount: number;
  testing: boolean;
  onSave: () => void;
  onPublish: () => void;
  onToggleTest: () => void;
}) {
  const { history, saved, busy, errorCount } = props;
  const [numbersOpen, setNumbersOpen] = useState(false);
  const [name, setName] = useState(props.name);
  useEffect(() => setName(props.name), [props.name]);
  const canPublish =
    saved !== null &&
    !history.dirty &&
    errorCount === 0 &&
    !busy &&
    saved.liveVersion !== saved.version;
  const publishHint =
    errorCount > 0
      ? 'Fix the errors first: a flow with errors can be saved as a draft, not published.'
      : history.dirty || saved === null
        ? 'Save first: publishing makes a saved version live.'
        : saved.liveVersion === saved.version
          ? `Version ${saved.version} is live.`
          : `Make version ${saved.version} live on this flow's ExoPhones.`;

  let status = 'Not saved yet';
  if (saved) {
    status = `Version ${saved.version}`;
    status += saved.liveVersion === null ? ' · not published' : ` · v${saved.liveVersion} live`;
    if (history.dirty) status += ' · unsaved changes';
  }

  return (
    <div className="builder-toolbar" role="toolbar" aria-label="Flow">
      <label className="visually-hidden" htmlFor="flow-name">
        Flow name
      </label>
      <input
        id="flow-name"
        className="flow-name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        onBlur={() => name !== props.name && props.onRename(name)}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
      />
      <span className="muted small" data-testid="flow-status">
        {status}
      </span>
      <div className="spacer" />
      <button
        type="button"
        className="btn"
        onClick={history.undo}
        disabled={!history.canUndo}
        title="Undo (Ctrl+Z)"
      >
        Undo
      </button>
      <button
        type="button"
        className="btn"
        onClick={history.redo}
        disabled={!history.canRedo}
        title="Redo (Ctrl+Shift+Z)"
      >
        Redo
      </button>
      <button
        type="button"
        className="btn"
        onClick={props.onSave}
        disabled={busy || props.appletCount === 0 || (saved !== null && !history.dirty)}
      >
        Save
      </button>
      <button
        type="button"
        className="btn primary"
        onClick={props.onPublish}
        disabled={!canPublish}
        title={publishHint}
      >
        Publish
      </button>
      <button
        type="button"
        className="btn"
        onClick={() => setNumbersOpen(true)}
        disabled={saved === null}
      >
        ExoPhones
      </button>
      <button
        type="button"
        className="btn"
        aria-pressed={props.testing}
        onClick={props.onToggleTest}
      >
        Test call
      </button>
      {numbersOpen && saved ? (
        <NumbersDialog flowId={saved.id} onClose={() => setNumbersOpen(false)} />
      ) : null}
    </div>
  );
}
