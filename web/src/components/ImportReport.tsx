/**
 * The per-row report of a CSV import (templates or DND): every problem of every bad row when the
 * file was refused (then nothing was written), and what happened to each row when it was not.
 */

export interface ImportProblem {
  line: number;
  field?: string;
  code: string;
  message: string;
}

export interface ImportReportData {
  imported: boolean;
  rows: number;
  invalidRows: number;
  errors: ImportProblem[];
  errorsTruncated: boolean;
  ignoredColumns: string[];
  created?: number;
  updated?: number;
  unchanged?: number;
  templates?: {
    line: number;
    templateId: string;
    action: string;
    lint: { code: string; severity: string; message: string }[];
  }[];
}

export function ImportReport({ report, dryRun }: { report: ImportReportData; dryRun: boolean }) {
  const refused = report.invalidRows > 0;
  return (
    <div className="stack" data-testid="import-report">
      <div className={`alert ${refused ? 'danger' : 'success'}`} role="status">
        {refused
          ? `${report.invalidRows} of ${report.rows} rows are invalid; nothing was imported.`
          : dryRun
            ? `All ${report.rows} rows are valid (checked only, nothing written).`
            : `${report.rows} rows imported.`}
        {report.created !== undefined && !refused
          ? ` ${report.created} created, ${report.updated ?? 0} updated, ${report.unchanged ?? 0} unchanged.`
          : ''}
        {report.ignoredColumns.length > 0
          ? ` Ignored columns: ${report.ignoredColumns.join(', ')}.`
          : ''}
      </div>
      {report.errors.length > 0 ? (
        <table className="table" aria-label="Rows refused">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Field</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {report.errors.map((e) => (
              <tr key={`${e.line}:${e.field ?? ''}:${e.code}`}>
                <td className="num">{e.line}</td>
                <td>{e.field ?? '—'}</td>
                <td>
                  <span className="badge danger">{e.code}</span>{' '}
                  <span className="small">{e.message}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {report.errorsTruncated ? (
        <p className="small muted">Only the first problems are listed.</p>
      ) : null}
      {report.templates && report.templates.length > 0 && !refused ? (
        <table className="table" aria-label="Rows imported">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Template</th>
              <th scope="col">Result</th>
              <th scope="col">Lint</th>
            </tr>
          </thead>
          <tbody>
            {report.templates.map((t) => (
              <tr key={t.line}>
                <td className="num">{t.line}</td>
                <td className="mono">{t.templateId}</td>
                <td>{t.action}</td>
                <td>
                  {t.lint.length === 0
                    ? '—'
                    : t.lint.map((f) => (
                        <span
                          key={f.code}
                          className={`badge ${f.severity === 'error' ? 'danger' : 'warning'}`}
                          title={f.message}
                        >
                          {f.code}
                        </span>
                      ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
