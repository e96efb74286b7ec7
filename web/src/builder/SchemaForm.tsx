/**
 * A form generated from a JSON schema: text, number and checkbox inputs, selects for unions of
 * literals, a choice of forms for unions of objects (an IVR's menu or gather, a prompt's text or
 * audio), lists with add, remove and reorder, and nested objects as fieldsets. Every control has a
 * label; problems from the applet's validator appear beside the field they concern.
 */

import { Field } from '../components/ui.tsx';
import type { ConfigProblem } from './applets.ts';
import { ArrayField, VariantsField } from './SchemaLists.tsx';
import { fieldKind, type JsonSchema, titleOf } from './schema.ts';

export interface FieldProps {
  name: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  required: boolean;
  /** JSON pointer of this value inside the config. */
  path: string;
  problems: ConfigProblem[];
  /** Overrides the schema's title (array items). */
  label?: string;
}

function problemAt(problems: ConfigProblem[], path: string): string | undefined {
  const here = problems.filter((p) => p.path === path).map((p) => p.message);
  return here.length > 0 ? here.join('; ') : undefined;
}

export function SchemaField(props: FieldProps) {
  const { name, schema, value, onChange, required, path, problems } = props;
  const label = props.label ?? titleOf(schema, name);
  const kind = fieldKind(schema);
  const error = problemAt(problems, path);
  const hint = schema.description;

  switch (kind.kind) {
    case 'const':
      return null;
    case 'string': {
      const long = (schema.maxLength ?? 0) > 200;
      return (
        <Field label={required ? label : `${label} (optional)`} hint={hint} error={error}>
          {({ id, describedBy, invalid }) =>
            long ? (
              <textarea
                id={id}
                rows={3}
                value={typeof value === 'string' ? value : ''}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
                onChange={(e) =>
                  onChange(e.target.value === '' && !required ? undefined : e.target.value)
                }
              />
            ) : (
              <input
                id={id}
                type="text"
                value={typeof value === 'string' ? value : ''}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
                onChange={(e) =>
                  onChange(e.target.value === '' && !required ? undefined : e.target.value)
                }
              />
            )
          }
        </Field>
      );
    }
    case 'number':
      return (
        <Field
          label={required ? label : `${label} (optional)`}
          hint={[hint, rangeHint(schema)].filter(Boolean).join(' ') || undefined}
          error={error}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              type="number"
              step={kind.integer ? 1 : 'any'}
              min={schema.minimum}
              max={schema.maximum}
              value={typeof value === 'number' ? value : ''}
              placeholder={schema.default !== undefined ? String(schema.default) : undefined}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
            />
          )}
        </Field>
      );
    case 'boolean':
      return (
        <Field label={label} hint={hint} error={error} className="inline">
          {({ id, describedBy }) => (
            <input
              id={id}
              type="checkbox"
              checked={value === true}
              aria-describedby={describedBy}
              onChange={(e) => onChange(e.target.checked)}
            />
          )}
        </Field>
      );
    case 'choice':
      return (
        <Field label={label} hint={hint} error={error}>
          {({ id, describedBy, invalid }) => (
            <select
              id={id}
              value={value === undefined ? '' : String(value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              onChange={(e) => {
                const picked = kind.options.find((o) => String(o) === e.target.value);
                onChange(picked);
              }}
            >
              {!required ? (
                <option value="">
                  Default{schema.default !== undefined ? ` (${String(schema.default)})` : ''}
                </option>
              ) : null}
              {kind.options.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {o === '' ? '(none)' : String(o)}
                </option>
              ))}
            </select>
          )}
        </Field>
      );
    case 'variants':
      return <VariantsField {...props} label={label} variants={kind.variants} error={error} />;
    case 'object':
      return <ObjectFields {...props} label={label} legend />;
    case 'array':
      return <ArrayField {...props} label={label} error={error} />;
    default:
      return (
        <Field label={label} hint="JSON" error={error}>
          {({ id, describedBy }) => (
            <textarea
              id={id}
              rows={3}
              className="mono"
              defaultValue={JSON.stringify(value ?? null)}
              aria-describedby={describedBy}
              onBlur={(e) => {
                try {
                  onChange(JSON.parse(e.target.value));
                } catch {
                  // Left as typed; the validator reports the config until it parses.
                }
              }}
            />
          )}
        </Field>
      );
  }
}

function rangeHint(schema: JsonSchema): string {
  if (schema.minimum !== undefined && schema.maximum !== undefined)
    return `${schema.minimum}–${schema.maximum}.`;
  if (schema.minimum !== undefined) return `At least ${schema.minimum}.`;
  if (schema.maximum !== undefined) return `At most ${schema.maximum}.`;
  return '';
}

/** The properties of an object, each as a field; nested objects in a fieldset. */
export function ObjectFields(props: FieldProps & { legend?: boolean }) {
  const { schema, value, onChange, path, problems } = props;
  const record = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([key, property]) => (
    <SchemaField
      key={key}
      name={key}
      schema={property}
      value={record[key]}
      required={required.has(key)}
      path={`${path}/${key}`}
      problems={problems}
      onChange={(v) => {
        const next = { ...record };
        if (v === undefined) delete next[key];
        else next[key] = v;
        onChange(next);
      }}
    />
  ));
  if (!props.legend) return <>{fields}</>;
  return (
    <fieldset>
      <legend>{props.label}</legend>
      {fields}
    </fieldset>
  );
}
