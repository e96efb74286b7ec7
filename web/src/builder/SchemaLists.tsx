/**
 * The parts of the schema form that hold other fields: a choice of forms for a union of objects,
 * and a list with add, remove and reorder.
 */

import { useId } from 'react';
import { type FieldProps, ObjectFields, SchemaField } from './SchemaForm.tsx';
import {
  defaultValue,
  discriminator,
  fieldKind,
  type JsonSchema,
  switchVariant,
  variantIndex,
  variantLabel,
} from './schema.ts';

/** `Numbers` → `Number`, `Options` → `Option`: what one item of a list is called. */
function singular(label: string): string {
  return label.endsWith('s') && !label.endsWith('ss') ? label.slice(0, -1) : label;
}

export function VariantsField(
  props: FieldProps & { label: string; variants: JsonSchema[]; error: string | undefined },
) {
  const { variants, value, onChange } = props;
  const key = discriminator(variants);
  const index = variantIndex(variants, value);
  const current = variants[index] ?? {};
  const selectId = useId();
  return (
    <fieldset>
      <legend>{props.label}</legend>
      <div className="field">
        <label htmlFor={selectId}>Form of {props.label.toLowerCase()}</label>
        <select
          id={selectId}
          value={index}
          onChange={(e) => onChange(switchVariant(variants[Number(e.target.value)] ?? {}, value))}
        >
          {variants.map((v, i) => (
            <option key={variantLabel(v, i, key)} value={i}>
              {variantLabel(v, i, key)}
            </option>
          ))}
        </select>
      </div>
      {props.error ? (
        <div className="error small" role="alert">
          {props.error}
        </div>
      ) : null}
      {fieldKind(current).kind === 'object' ? (
        <ObjectFields {...props} schema={current} />
      ) : (
        <SchemaField {...props} schema={current} label={`${props.label} value`} />
      )}
    </fieldset>
  );
}

export function ArrayField(props: FieldProps & { label: string; error: string | undefined }) {
  const { schema, value, onChange, path, problems, label } = props;
  const items = Array.isArray(value) ? value : [];
  const itemSchema = schema.items ?? {};
  const canAdd = schema.maxItems === undefined || items.length < schema.maxItems;
  const canRemove = items.length > (schema.minItems ?? 0);
  const set = (i: number, v: unknown) => onChange(items.map((old, j) => (j === i ? v : old)));
  const move = (i: number, to: number) => {
    const next = [...items];
    const [item] = next.splice(i, 1);
    next.splice(to, 0, item);
    onChange(next);
  };
  return (
    <fieldset>
      <legend>{label}</legend>
      {props.error ? (
        <div className="error small" role="alert">
          {props.error}
        </div>
      ) : null}
      {items.map((item, i) => {
        const itemLabel = `${singular(label)} ${i + 1}`;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: items have no identity but their place.
          <div key={i} className="array-item">
            <SchemaField
              name={String(i)}
              schema={itemSchema}
              value={item}
              required
              label={itemLabel}
              path={`${path}/${i}`}
              problems={problems}
              onChange={(v) => set(i, v)}
            />
            <div className="row">
              <button
                type="button"
                className="btn small"
                disabled={i === 0}
                onClick={() => move(i, i - 1)}
                aria-label={`Move ${itemLabel} up`}
              >
                ↑
              </button>
              <button
                type="button"
                className="btn small"
                disabled={i === items.length - 1}
                onClick={() => move(i, i + 1)}
                aria-label={`Move ${itemLabel} down`}
              >
                ↓
              </button>
              <button
                type="button"
                className="btn small danger"
                disabled={!canRemove}
                onClick={() => onChange(items.filter((_, j) => j !== i))}
                aria-label={`Remove ${itemLabel}`}
              >
                Remove
              </button>
            </div>
          </div>
        );
      })}
      <div>
        <button
          type="button"
          className="btn small"
          disabled={!canAdd}
          onClick={() => onChange([...items, defaultValue(itemSchema)])}
        >
          Add {singular(label).toLowerCase()}
        </button>
      </div>
    </fieldset>
  );
}
