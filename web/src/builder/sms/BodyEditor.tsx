/**
 * The message body: a textarea over a backdrop that draws the same text with variables as chips,
 * template placeholders still to fill, and the characters that force Unicode highlighted. Chip
 * buttons insert variables at the cursor; "Fill from template" copies the template's text with its
 * variables selected one by one for filling in.
 */

import { type ReactNode, useLayoutEffect, useMemo, useRef } from 'react';
import type { DltTemplate } from '../../lib/dlt-api.ts';
import { bodyVariables, inspectBody } from './core.ts';
import { ALWAYS_VARIABLES } from './flow-context.ts';
import { NonGsmList } from './NonGsmList.tsx';

const TO_FILL = /\{#[a-z]+#\}/g;

interface Mark {
  start: number;
  end: number;
  className: string;
}

/** The body cut into plain runs and marked runs, for the backdrop. */
function marksOf(body: string): Mark[] {
  const marks: Mark[] = [];
  for (const v of bodyVariables(body))
    marks.push({ start: v.start, end: v.end, className: 'chip-var' });
  for (const m of body.matchAll(TO_FILL))
    marks.push({ start: m.index, end: m.index + m[0].length, className: 'chip-to-fill' });
  for (const c of inspectBody(body).nonGsm) {
    if (!marks.some((m) => c.index >= m.start && c.index < m.end)) {
      marks.push({ start: c.index, end: c.index + c.char.length, className: 'non-gsm' });
    }
  }
  return marks.sort((a, b) => a.start - b.start);
}

function backdrop(body: string, marks: Mark[]): ReactNode[] {
  const out: ReactNode[] = [];
  let at = 0;
  for (const m of marks) {
    if (m.start < at) continue;
    if (m.start > at) out.push(body.slice(at, m.start));
    out.push(
      <mark key={m.start} className={m.className}>
        {body.slice(m.start, m.end)}
      </mark>,
    );
    at = m.end;
  }
  // A trailing newline needs something after it, or the backdrop is a line short.
  out.push(`${body.slice(at)} `);
  return out;
}

export function BodyEditor({
  body,
  onChange,
  template,
  passthrus,
  ivrBefore,
}: {
  body: string;
  onChange: (body: string) => void;
  template: DltTemplate | undefined;
  passthrus: string[];
  ivrBefore: boolean;
}) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  const back = useRef<HTMLDivElement>(null);
  const pendingSelection = useRef<[number, number] | null>(null);
  const marks = useMemo(() => marksOf(body), [body]);

  // After an insertion React re-renders the textarea; put the cursor where the edit wants it.
  useLayoutEffect(() => {
    const selection = pendingSelection.current;
    const el = textarea.current;
    if (!selection || !el) return;
    pendingSelection.current = null;
    el.focus();
    el.setSelectionRange(selection[0], selection[1]);
  });

  function insert(token: string, cursorBack = 0) {
    const el = textarea.current;
    const start = el?.selectionStart ?? body.length;
    const end = el?.selectionEnd ?? body.length;
    const next = body.slice(0, start) + token + body.slice(end);
    const cursor = start + token.length - cursorBack;
    pendingSelection.current = [cursor, cursor];
    onChange(next);
  }

  function selectNextToFill(text: string, from: number) {
    const all = [...text.matchAll(TO_FILL)];
    const next = all.find((m) => m.index >= from) ?? all[0];
    if (next) pendingSelection.current = [next.index, next.index + next[0].length];
  }

  function fillFromTemplate() {
    if (!template) return;
    selectNextToFill(template.content, 0);
    onChange(template.content);
  }

  function nextToFill() {
    const el = textarea.current;
    selectNextToFill(body, el ? el.selectionEnd : 0);
    // Nothing changes in the body, so re-apply the selection now.
    const selection = pendingSelection.current;
    if (selection && el) {
      pendingSelection.current = null;
      el.focus();
      el.setSelectionRange(selection[0], selection[1]);
    }
  }

  const variables: { token: string; label: string; back?: number; disabled?: string }[] = [
    ...ALWAYS_VARIABLES.map((v) => ({ token: `{${v}}`, label: v })),
    {
      token: '{Digits}',
      label: 'Digits',
      ...(ivrBefore ? {} : { disabled: 'Only after an IVR applet' }),
    },
    ...passthrus.map((p) => ({ token: `{${p}.}`, label: `${p}.…`, back: 1 })),
  ];
  const toFill = [...body.matchAll(TO_FILL)].length;

  return (
    <fieldset className="body-editor">
      <legend>Message body</legend>
      <fieldset className="chips">
        <legend className="visually-hidden">Insert a variable</legend>
        {variables.map((v) => (
          <button
            key={v.token}
            type="button"
            className="chip"
            onClick={() => insert(v.token, v.back ?? 0)}
            disabled={Boolean(v.disabled)}
            title={v.disabled ?? `Insert ${v.token} at the cursor`}
          >
            {`{${v.label}}`}
          </button>
        ))}
      </fieldset>
      <div className="body-input">
        <div className="body-backdrop" ref={back} aria-hidden="true">
          {backdrop(body, marks)}
        </div>
        <label htmlFor="sms-body" className="visually-hidden">
          Message body
        </label>
        <textarea
          id="sms-body"
          ref={textarea}
          rows={5}
          value={body}
          spellCheck={false}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (back.current) back.current.scrollTop = e.currentTarget.scrollTop;
          }}
          aria-describedby="sms-counter sms-dlt-check"
        />
      </div>
      <div className="row">
        <button type="button" className="btn small" onClick={fillFromTemplate} disabled={!template}>
          Fill from template
        </button>
        {toFill > 0 ? (
          <>
            <button type="button" className="btn small" onClick={nextToFill}>
              Next variable to fill
            </button>
            <span className="small muted">
              {toFill} template variable{toFill === 1 ? '' : 's'} to fill: type text or insert a
              variable over each.
            </span>
          </>
        ) : null}
      </div>
      <NonGsmList body={body} onChange={onChange} />
    </fieldset>
  );
}
