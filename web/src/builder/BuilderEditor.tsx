/**
 * The Flow Builder for one flow: palette, canvas, Properties panel, validation list, and the
 * toolbar that saves, publishes, assigns ExoPhones and places test calls. The flow document is
 * the single source of truth; every change is one undoable edit of it.
 */

import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { FlowDocument } from '../../../src/flows/types.ts';
import type { TemplateLookup } from '../../../src/flows/validate.ts';
import { type FlowRecord, flowsApi } from '../lib/flows-api.ts';
import { toast } from '../lib/toast.ts';
import { type AppletType, exitsOf } from './applets.ts';
import { BuilderToolbar } from './BuilderToolbar.tsx';
import { Canvas } from './Canvas.tsx';
import { useBuilderData } from './context.ts';
import {
  addApplet,
  newAppletId,
  removeApplets,
  renameFlow,
  setStart,
  updateApplet,
} from './flow-model.ts';
import type { RunState } from './graph.ts';
import { useFlowHistory } from './history.ts';
import { Palette } from './Palette.tsx';
import { type ConfigEditor, PropertiesPanel } from './PropertiesPanel.tsx';
import { SmsEditor } from './sms/SmsEditor.tsx';
import { TestCallPanel } from './TestCallPanel.tsx';
import { useUndoShortcuts } from './use-shortcuts.ts';
import { useValidation } from './use-validation.ts';
import { ValidationList } from './ValidationList.tsx';

const EDITORS: Record<string, ConfigEditor> = { sms: SmsEditor };

export interface SavedState {
  id: string;
  version: number;
  liveVersion: number | null;
}

export function BuilderEditor({
  record,
  types,
  onCreated,
}: {
  record: FlowRecord | null;
  types: AppletType[];
  /** A new flow got its ID on first save. */
  onCreated: (id: string) => void;
}) {
  const history = useFlowHistory(
    record?.document ?? { name: 'Untitled flow', start: '', applets: {}, layout: {} },
  );
  const { doc, edit } = history;
  const { registry } = useBuilderData();
  const flow = useReactFlow();
  const canvasRef = useRef<HTMLDivElement>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  // Whether the panel takes the focus when it opens (opened from the keyboard).
  const [focusPanel, setFocusPanel] = useState(false);
  const [testing, setTesting] = useState(false);
  const [run, setRun] = useState<RunState | undefined>(undefined);
  const [saved, setSaved] = useState<SavedState | null>(
    record
      ? { id: record.id, version: record.latestVersion, liveVersion: record.liveVersion }
      : null,
  );
  const [busy, setBusy] = useState(false);

  const typesByName = useMemo(() => new Map(types.map((t) => [t.type, t])), [types]);
  const templates = useMemo<TemplateLookup>(() => {
    const byKey = new Map(
      registry.templates.map((t) => [`${t.entityId}/${t.templateId}`, t.content]),
    );
    return (entityId, templateId) => byKey.get(`${entityId}/${templateId}`);
  }, [registry.templates]);
  const validation = useValidation(doc, templates);
  // An empty canvas has nothing to check yet: it gets guidance, not "start must not be empty".
  const empty = Object.keys(doc.applets).length === 0;
  const errors = empty ? [] : validation.result.errors;

  useUndoShortcuts(history.undo, history.redo);

  // Closing or reloading the tab with unsaved changes asks first.
  useEffect(() => {
    if (!history.dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [history.dirty]);

  const addAt = useCallback(
    (type: string, position: { x: number; y: number }) => {
      const appletType = typesByName.get(type);
      edit((d) => {
        const id = newAppletId(d, type);
        const config = structuredClone(appletType?.defaultConfig ?? {});
        return addApplet(d, id, { type, config, next: {} }, position);
      });
    },
    [edit, typesByName],
  );

  /** From the palette by keyboard or click: the middle of what the canvas shows. */
  const addInView = useCallback(
    (type: string) => {
      const box = canvasRef.current?.getBoundingClientRect();
      const centre = box
        ? { x: box.left + box.width / 2, y: box.top + box.height / 2 }
        : { x: 0, y: 0 };
      const position = flow.screenToFlowPosition(centre);
      addAt(type, {
        x: position.x - 100 + Math.random() * 40,
        y: position.y - 40 + Math.random() * 40,
      });
    },
    [flow, addAt],
  );

  const open = useCallback((id: string | null, byKeyboard = false) => {
    setOpenId(id);
    setFocusPanel(byKeyboard);
    if (id) setTesting(false);
  }, []);

  /** Closes the panel and gives the focus back to the applet, for keyboard users. */
  const [refocus, setRefocus] = useState<string | null>(null);
  const close = useCallback((id: string) => {
    setOpenId(null);
    setRefocus(id);
  }, []);
  // Right after the panel left the DOM, before the browser paints.
  useLayoutEffect(() => {
    if (refocus === null) return;
    document
      .querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(refocus)}"]`)
      ?.focus();
    setRefocus(null);
  }, [refocus]);

  const openFromList = useCallback(
    (id: string) => {
      open(id, true);
      const position = doc.layout?.[id];
      if (position)
        void flow.setCenter(position.x + 100, position.y + 50, {
          duration: 300,
          zoom: flow.getZoom(),
        });
    },
    [open, doc.layout, flow],
  );

  async function save(): Promise<SavedState | null> {
    setBusy(true);
    try {
      const result = saved ? await flowsApi.save(saved.id, doc) : await flowsApi.create(doc);
      const next = { id: result.id, version: result.version, liveVersion: result.liveVersion };
      setSaved(next);
      history.markSaved(doc);
      if (!saved) onCreated(result.id);
      const problems = result.validation.errors.length;
      toast(
        `Saved version ${result.version}${problems > 0 ? ` as a draft with ${problems} error${problems === 1 ? '' : 's'}` : ''}.`,
      );
      return next;
    } catch (error) {
      toast(`Not saved: ${(error as Error).message}`, 'error');
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function publish(): Promise<void> {
    if (!saved) return;
    setBusy(true);
    try {
      const result = await flowsApi.publish(saved.id, saved.version);
      setSaved({ ...saved, liveVersion: result.liveVersion });
      toast(`Version ${saved.version} is live.`);
    } catch (error) {
      toast(`Not published: ${(error as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  }

  const openApplet = openId ? doc.applets[openId] : undefined;
  return (
    <div className="builder">
      <BuilderToolbar
        name={doc.name ?? ''}
        onRename={(name) => edit((d) => renameFlow(d, name))}
        history={history}
        saved={saved}
        busy={busy}
        errorCount={errors.length}
        appletCount={Object.keys(doc.applets).length}
        testing={testing}
        onSave={() => void save()}
        onPublish={() => void publish()}
        onToggleTest={() => {
          setTesting((t) => !t);
          setOpenId(null);
        }}
      />
      <div className="builder-body">
        <Palette types={types} onAdd={addInView} />
        <div className="builder-canvas" ref={canvasRef}>
          <Canvas
            doc={doc}
            types={typesByName}
            issues={validation.byApplet}
            run={run}
            edit={edit}
            onAdd={addAt}
            onOpen={open}
          />
          {empty ? (
            <div className="canvas-empty" data-testid="canvas-empty">
              <p className="canvas-empty-title">This flow has no applets yet.</p>
              <p>
                Drag an applet from the palette onto the canvas (or select one there and press
                Enter): the first one you add is where calls start. Then drag from an applet's exits
                to the next applet.
              </p>
            </div>
          ) : (
            <ValidationList
              errors={errors}
              warnings={validation.result.warnings}
              onOpen={openFromList}
            />
          )}
        </div>
        {openId && openApplet ? (
          <PropertiesPanel
            key={openId}
            autoFocus={focusPanel}
            appletId={openId}
            applet={openApplet}
            type={typesByName.get(openApplet.type)}
            doc={doc}
            editors={EDITORS}
            onApply={(config, label) => {
              const type = typesByName.get(openApplet.type);
              // With a config still invalid, its exits are unknown: keep every link it has.
              const exits = exitsOf(type, config, Object.keys(openApplet.next ?? {}));
              edit((d: FlowDocument) => updateApplet(d, openId, { config, label }, exits));
              close(openId);
            }}
            onCancel={() => close(openId)}
            onSetStart={() => edit((d) => setStart(d, openId))}
            onDelete={() => {
              edit((d) => removeApplets(d, [openId]));
              setOpenId(null);
            }}
          />
        ) : null}
        {testing ? (
          <TestCallPanel
            doc={doc}
            saved={saved}
            dirty={history.dirty}
            errorCount={errors.length}
            onSave={save}
            onPublish={publish}
            onRun={setRun}
            onClose={() => {
              setTesting(false);
              setRun(undefined);
            }}
          />
        ) : null}
      </div>
    </div>
  );
}
