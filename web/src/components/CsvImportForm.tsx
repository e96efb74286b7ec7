/**
 * Uploads a CSV file to an import endpoint (streamed as text/csv) and shows its per-row report.
 * A refused file answers 400 with the same report in `details`.
 */

import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiError, api, query } from '../lib/api.ts';
import { toast } from '../lib/toast.ts';
import { ImportReport, type ImportReportData } from './ImportReport.tsx';
import { ErrorAlert, Field } from './ui.tsx';

function reportFrom(error: unknown): ImportReportData | null {
  if (!(error instanceof ApiError)) return null;
  const details = error.details as Partial<ImportReportData> | null;
  return details && Array.isArray(details.errors) && typeof details.rows === 'number'
    ? (details as ImportReportData)
    : null;
}

export function CsvImportForm({
  endpoint,
  hint,
  params = {},
  children,
  onImported,
}: {
  endpoint: string;
  hint: ReactNode;
  /** More query parameters (the entity of rows without one). */
  params?: Record<string, string | undefined>;
  /** More fields, shown above the file input. */
  children?: ReactNode;
  onImported?: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [report, setReport] = useState<ImportReportData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function upload(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const result = await api.post<ImportReportData>(
        `${endpoint}${query({ ...params, dryRun: dryRun ? 'true' : undefined })}`,
        undefined,
        {
          raw: file,
          contentType: 'text/csv',
        },
      );
      setReport(result);
      if (result.imported) {
        toast(`${result.rows} rows imported.`);
        onImported?.();
      }
    } catch (err) {
      const refused = reportFrom(err);
      if (refused) setReport(refused);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={upload}>
      {children}
      <Field label="CSV file" hint={hint}>
        {({ id, describedBy }) => (
          <input
            id={id}
            type="file"
            accept=".csv,text/csv"
            aria-describedby={describedBy}
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      <label className="row small">
        <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
        Check only (write nothing)
      </label>
      <div>
        <button type="submit" className="btn" disabled={!file || busy}>
          {busy ? 'Importing…' : dryRun ? 'Check file' : 'Import'}
        </button>
      </div>
      <ErrorAlert error={error} />
      {report ? <ImportReport report={report} dryRun={dryRun} /> : null}
    </form>
  );
}
