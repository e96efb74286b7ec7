/**
 * The live DLT check of the body against the chosen template, with the server's own checker:
 * always (every value the variables can take matches), never (none can, and where the fixed text
 * departs from the template), or depends (on the values of some variables).
 */

import { type ReactNode, useMemo } from 'react';
import type { DltTemplate, WhitelistEntry } from '../../lib/dlt-api.ts';
import { checkBodyAgainst } from './core.ts';

const TO_FILL = /\{#[a-z]+#\}/;

export function DltCheckView({
  body,
  template,
  whitelist,
}: {
  body: string;
  template: DltTemplate | undefined;
  whitelist: WhitelistEntry[];
}) {
  const result = useMemo(
    () =>
      template && body && !TO_FILL.test(body)
        ? checkBodyAgainst(body, template.content, whitelist)
        : null,
    [body, template, whitelist],
  );

  let content: ReactNode;
  let verdict = 'none';
  if (!template)
    content = <span className="muted">Choose a DLT template to check the body against it.</span>;
  else if (!body)
    content = <span className="muted">Write the body, or fill it from the template.</span>;
  else if (TO_FILL.test(body)) {
    verdict = 'unfilled';
    content = <span>Fill in the template's variables to check the body.</span>;
  } else if (result) {
    verdict = result.verdict;
    content = (
      <>
        <span
          className={`badge ${result.verdict === 'always' ? 'success' : result.verdict === 'never' ? 'danger' : 'warning'}`}
        >
          {result.verdict === 'always'
            ? 'Matches'
            : result.verdict === 'never'
              ? 'Mismatch'
              : 'Depends'}
        </span>{' '}
        {result.verdict === 'always'
          ? 'The body matches the template whatever values its variables take.'
          : null}
        {result.verdict === 'depends' ? (
          <>
            Matches only for some values
            {result.dependsOn?.length
              ? ` of ${result.dependsOn.map((n) => `{${n}}`).join(', ')}`
              : ''}
            . {result.reason ?? ''}
          </>
        ) : null}
        {result.verdict === 'never' ? (
          <>The body can never match the template; the SMS would be refused.</>
        ) : null}
        {result.verdict !== 'always' && result.at !== undefined ? (
          <div className="departure small">
            At character {result.at + 1}: expected <code>{result.expected}</code>, found{' '}
            <code>{result.found ? `“${result.found}”` : '(nothing)'}</code>
            <div className="mono departure-text">
              {body.slice(Math.max(0, result.at - 30), result.at)}
              <mark className="departure-mark">{body.slice(result.at, result.at + 12) || '⏎'}</mark>
              {body.slice(result.at + 12, result.at + 40)}
            </div>
          </div>
        ) : null}
        {result.code && result.verdict !== 'always' ? (
          <div className="small muted">{result.code}</div>
        ) : null}
      </>
    );
  }
  return (
    <div
      className={`dlt-check verdict-${verdict}`}
      id="sms-dlt-check"
      aria-live="polite"
      data-testid="dlt-check"
      data-verdict={verdict}
    >
      <strong>DLT check</strong> {content}
    </div>
  );
}
