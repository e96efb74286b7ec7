/**
 * The six applets, to drag onto the canvas. Each is also a button: Enter or a click adds the
 * applet in the middle of the view, so the palette works without a mouse.
 */

import type { DragEvent } from 'react';
import { APPEARANCE, type AppletType } from './applets.ts';
import { APPLET_MIME } from './Canvas.tsx';

export function Palette({ types, onAdd }: { types: AppletType[]; onAdd: (type: string) => void }) {
  function onDragStart(event: DragEvent, type: string) {
    event.dataTransfer.setData(APPLET_MIME, type);
    event.dataTransfer.effectAllowed = 'copy';
  }
  return (
    <aside className="palette" aria-label="Applets">
      <h2>Applets</h2>
      <p className="muted small">Drag onto the canvas, or press Enter to add.</p>
      <ul>
        {types.map((t) => {
          const look = APPEARANCE[t.type] ?? { glyph: '•', color: '#555' };
          return (
            <li key={t.type}>
              <button
                type="button"
                className="palette-item"
                draggable
                onDragStart={(e) => onDragStart(e, t.type)}
                onClick={() => onAdd(t.type)}
                title={t.description}
                data-applet-type={t.type}
              >
                <span
                  className="applet-glyph"
                  style={{ background: look.color }}
                  aria-hidden="true"
                >
                  {look.glyph}
                </span>
                <span>
                  <span className="palette-title">{t.title}</span>
                  <span className="palette-desc">{t.description}</span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
