/** Small shared pieces: badges, alerts, loading and empty states, labelled fields, page headers. */

import { type ReactNode, useId } from 'react';
import { ApiError } from '../lib/api.ts';
import { statusTone, type Tone } from '../lib/format.ts';

export function Badge({ tone, children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge ${tone ?? ''}`}>{children}</span>;
}

/** A status word coloured by what it means (delivered green, failed red, ...). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={statusTone(status)}>
      <span data-status={status}>{status}</span>
    </Badge>
  );
}

export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="alert danger" role="alert">
      {code ? <code>{code}</code> : null} {message}
    </div>
  );
}

/** The foot of a paged list: loading, or a button for the next page while there is one. */
export function PageFoot({
  loading,
  cursor,
  onMore,
}: {
  loading: boolean;
  cursor: string | null;
  onMore: (cursor: string) => void;
}) {
  if (loading) return <Loading />;
  if (!cursor) return null;
  return (
    <div className="row" style={{ marginTop: 12 }}>
      <button type="button" className="btn" onClick={() => onMore(cursor)}>
        Load more
      </button>
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="empty" role="status" aria-live="polite">
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      <div className="spacer" />
      {children}
    </header>
  );
}

export interface FieldIds {
  id: string;
  /** For aria-describedby: the hint and error, when present. */
  describedBy: string | undefined;
  invalid: boolean;
}

/**
 * A label bound to its control, with an optional hint and error wired to aria-describedby.
 * `children` receives the ids to put on the control.
 */
export function Field({
  label,
  hint,
  error,
  className,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: ReactNode;
  className?: string;
  children: (ids: FieldIds) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint ? (
        <div className="hint" id={hintId}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="error" id={errorId} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function TextField({
  label,
  value,
  onChange,
  hint,
  error,
  type = 'text',
  placeholder,
  required,
  name,
  autoComplete,
  onBlur,
}: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: ReactNode;
  type?: string;
  placeholder?: string;
  required?: boolean;
  name?: string;
  autoComplete?: string;
  onBlur?: () => void;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          name={name}
          type={type}
          value={value}
          placeholder={placeholder}
          required={required}
          autoComplete={autoComplete}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => onChange(e.target.value)}
          onBlur={onBlur}
        />
      )}
    </Field>
  );
}

export function SelectField({
  label,
  value,
  onChange,
  options,
  hint,
  error,
  placeholder,
}: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  options: readonly (string | { value: string; label: string })[];
  hint?: ReactNode;
  error?: ReactNode;
  /** First, empty option (e.g. "Any status"). */
  placeholder?: string;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          value={value}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => onChange(e.target.value)}
        >
          {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
          {options.map((o) => {
            const opt = typeof o === 'string' ? { value: o, label: o } : o;
            return (
              <option key={opt.value} value={opt.value}>
                {opt.label}
              </option>
            );
          })}
        </select>
      )}
    </Field>
  );
}
