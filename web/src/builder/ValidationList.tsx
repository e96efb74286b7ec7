/** The flow's validation errors and warnings as a list; choosing one opens the applet concerned. */

import type { FlowIssue } from '../../../src/flows/validate.ts';

export function ValidationList({
  errors,
  warnings,
  onOpen,
}: {
  errors: FlowIssue[];
  warnings: FlowIssue[];
  onOpen: (appletId: string) => void;
}) {
  const all = [
    ...errors.map((issue) => ({ issue, severity: 'error' as const })),
    ...warnings.map((issue) => ({ issue, severity: 'warning' as const })),
  ];
  return (
    <section className="validation" aria-labelledby="validation-title">
      <h2 id="validation-title">
        {errors.length === 0
          ? 'No errors'
          : `${errors.length} error${errors.length === 1 ? '' : 's'}`}
        {warnings.length > 0
          ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`
          : ''}
      </h2>
      {all.length > 0 ? (
        <ul data-testid="validation-list">
          {all.map(({ issue, severity }, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: issues can repeat word for word.
            <li key={i} className={severity}>
              <span className={`badge ${severity === 'error' ? 'danger' : 'warning'}`}>
                {issue.code}
              </span>{' '}
              {issue.appletId ? (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => onOpen(issue.appletId!)}
                >
                  {issue.message}
                </button>
              ) : (
                issue.message
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
