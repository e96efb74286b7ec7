/**
 * The Flow Builder's canvas: applets dropped from the palette, exits connected by dragging from a
 * handle, moved, deleted (Delete or Backspace), zoomed and fitted. Every change becomes one edit of
 * the flow document, so undo and redo see them all.
 */

import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MiniMap,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import {
  type DragEvent,
  type KeyboardEvent,
  type RefObject,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';
import type { FlowDocument } from '../../../src/flows/types.ts';
import { AppletNode, type AppletNodeType } from './AppletNode.tsx';
import { APPEARANCE, type AppletType } from './applets.ts';
import { connectExit, disconnectExits, moveApplets, removeApplets } from './flow-model.ts';
import {
  type AppletIssues,
  NodeDataCache,
  type RunState,
  reconcileEdges,
  reconcileNodes,
} from './graph.ts';

export const APPLET_MIME = 'application/x-callflow-applet';

const nodeTypes = { applet: AppletNode };
const DELETE_KEYS = ['Delete', 'Backspace'];
const PRO_OPTIONS = { hideAttribution: true };
/**
 * Narrowest canvas that shows the minimap (200 px wide) beside the zoom controls with room to
 * work: a side panel open on a small screen leaves less, and the minimap would cover the canvas
 * and slide under the panels.
 */
export const MINIMAP_MIN_CANVAS_WIDTH = 560;

/** The width of an element, kept up to date as it resizes. */
function useWidth(ref: RefObject<HTMLElement | null>): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(entry.contentRect.width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

export interface CanvasProps {
  doc: FlowDocument;
  types: ReadonlyMap<string, AppletType>;
  issues: ReadonlyMap<string, AppletIssues>;
  run: RunState | undefined;
  edit: (change: (doc: FlowDocument) => FlowDocument) => void;
  /** Adds an applet of this type at a canvas position (from a drop). */
  onAdd: (type: string, position: { x: number; y: number }) => void;
  /**
   * The applet whose properties to show; null closes the panel. `byKeyboard`: move the focus into
   * the panel (a click leaves it on the canvas, so Delete still deletes the applet).
   */
  onOpen: (appletId: string | null, byKeyboard?: boolean) => void;
}

export function Canvas({ doc, types, issues, run, edit, onAdd, onOpen }: CanvasProps) {
  const flow = useReactFlow();
  const cache = useRef(new NodeDataCache()).current;
  const [nodes, setNodes] = useState<AppletNodeType[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  // Fit an existing flow into view once; a new flow keeps its viewport, so drops land where aimed.
  const fitOnOpen = useRef(Object.keys(doc.applets).length > 0).current;
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const showMinimap = width === null || width >= MINIMAP_MIN_CANVAS_WIDTH;

  useEffect(() => {
    setNodes((prev) => reconcileNodes(prev, doc, types, issues, run, cache));
    setEdges((prev) => reconcileEdges(prev, doc, run));
  }, [doc, types, issues, run, cache]);

  const onNodesChange = useCallback(
    (changes: NodeChange<AppletNodeType>[]) => {
      // Removal goes through onDelete (one undo step for nodes and their edges together).
      const kept = changes.filter((c) => c.type !== 'remove');
      setNodes((prev) => applyNodeChanges(kept, prev));
      const dropped = kept.flatMap((c) =>
        c.type === 'position' && c.dragging === false && c.position
          ? [{ id: c.id, position: c.position }]
          : [],
      );
      if (dropped.length > 0) edit((d) => moveApplets(d, dropped));
    },
    [edit],
  );

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setEdges((prev) =>
      applyEdgeChanges(
        changes.filter((c) => c.type !== 'remove'),
        prev,
      ),
    );
  }, []);

  const onDelete = useCallback(
    ({ nodes: goneNodes, edges: goneEdges }: { nodes: AppletNodeType[]; edges: Edge[] }) => {
      const links = goneEdges.flatMap((e) =>
        e.sourceHandle ? [{ source: e.source, exit: e.sourceHandle }] : [],
      );
      edit((d) =>
        removeApplets(
          disconnectExits(d, links),
          goneNodes.map((n) => n.id),
        ),
      );
      if (goneNodes.length > 0) onOpen(null);
    },
    [edit, onOpen],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (c.sourceHandle) edit((d) => connectExit(d, c.source, c.sourceHandle!, c.target));
    },
    [edit],
  );

  const onNodeClick = useCallback((_: unknown, node: AppletNodeType) => onOpen(node.id), [onOpen]);
  const onPaneClick = useCallback(() => onOpen(null), [onOpen]);

  // Enter on a focused applet (Tab reaches them) opens its properties, as a click does.
  const onKeyDown = useCallback(
    (event: KeyboardEvent) => {
      if (event.key !== 'Enter') return;
      const node = (event.target as HTMLElement).closest?.('.react-flow__node');
      const id = node?.getAttribute('data-id');
      if (id && node === event.target) {
        event.preventDefault();
        onOpen(id, true);
      }
    },
    [onOpen],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(APPLET_MIME)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(APPLET_MIME);
      if (!type) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      // Centre the applet's header under the pointer.
      onAdd(type, { x: position.x - 100, y: position.y - 20 });
    },
    [flow, onAdd],
  );

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: it only passes Enter on from the focusable applets inside.
    <div
      ref={box}
      className="canvas"
      onDragOver={onDragOver}
      onDrop={onDrop}
      onKeyDown={onKeyDown}
      data-testid="canvas"
    >
      <ReactFlow<AppletNodeType, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onDelete={onDelete}
        onNodeClick={onNodeClick}
        onPaneClick={onPaneClick}
        deleteKeyCode={DELETE_KEYS}
        minZoom={0.1}
        maxZoom={2}
        fitView={fitOnOpen}
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        onlyRenderVisibleElements
        proOptions={PRO_OPTIONS}
        aria-label="Flow canvas"
      >
        <Background gap={20} />
        <Controls showInteractive={false} />
        {showMinimap ? (
          <MiniMap
            pannable
            zoomable
            nodeColor={(n) => APPEARANCE[(n as AppletNodeType).data.type]?.color ?? '#888'}
          />
        ) : null}
      </ReactFlow>
    </div>
  );
}
