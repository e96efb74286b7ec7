/**
 * The characters that force Unicode (UCS-2: 70 characters a segment instead of 160), each with its
 * GSM-7 replacement when there is one; one click applies it.
 */

import { useMemo } from 'react';
import { gsmReplacement, inspectBody } from './core.ts';

export function NonGsmList({ body, onChange }: { body: string; onChange: (body: string) => void }) {
  const found = useMemo(() => {
    const seen = new Map<
      string,
      { char: string; count: number; replacement: string | undefined }
    >();
    for (const c of inspectBody(body).nonGsm) {
      const entry = seen.get(c.char) ?? {
        char: c.char,
        count: 0,
        replacement: gsmReplacement(c.char),
      };
      entry.count++;
      seen.set(c.char, entry);
    }
    return [...seen.values()];
  }, [body]);
  if (found.length === 0) return null;

  const replaceable = found.filter((f) => f.replacement !== undefined);
  const replace = (char: string, by: string) => onChange(body.split(char).join(by));
  return (
    <div className="alert warning non-gsm-list" data-testid="non-gsm">
      <div className="small">
        These characters make the whole message Unicode (70 characters a segment instead of 160):
      </div>
      <ul>
        {found.map((f) => (
          <li key={f.char}>
            <mark className="non-gsm">{f.char}</mark>{' '}
            <span className="muted small">
              U+{f.char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}
            </span>
            {f.count > 1 ? <span className="small"> ×{f.count}</span> : null}{' '}
            {f.replacement !== undefined ? (
              <button
                type="button"
                className="btn small"
                onClick={() => replace(f.char, f.replacement!)}
              >
                Replace with {f.replacement === '' ? 'nothing' : `“${f.replacement}”`}
              </button>
            ) : (
              <span className="small muted">no GSM-7 equivalent</span>
            )}
          </li>
        ))}
      </ul>
      {replaceable.length > 1 ? (
        <button
          type="button"
          className="btn small"
          onClick={() =>
            onChange(replaceable.reduce((text, f) => text.split(f.char).join(f.replacement!), body))
          }
        >
          Replace all
        </button>
      ) : null}
    </div>
  );
}
