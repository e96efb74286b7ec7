/**
 * Header rows of imported CSV files: which column holds what. DLT portals (Jio, Vodafone Idea,
 * Airtel, BSNL, Videocon, Tata) and spreadsheets name the same column many ways ("Template ID",
 * "TemplateId", "CT ID", "Template Content (Message)", "Header(s)"), so names are compared
 * case-insensitively with everything but letters and digits removed, against a list of variants
 * per field, most specific first.
 */

export interface ColumnSpec<K extends string> {
  key: K;
  /** Normalised variants (see `normalizeName`), most specific first. */
  names: readonly string[];
  required: boolean;
}

export interface ColumnMap<K extends string> {
  /** Index of each field's column; undefined when the file has none. */
  index: Partial<Record<K, number>>;
  /** Required fields without a column. */
  missing: K[];
  /** Headers that matched no field (ignored). */
  ignored: string[];
}

/** "Template Content (Message)" → "templatecontentmessage". */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * Assigns columns to fields. Fields are resolved in the order of `specs`, each taking the
 * unassigned column whose name is earliest in its variants, so "Template Type" and "Category" in one
 * file go to the fields that name them most specifically.
 */
export function mapColumns<K extends string>(
  header: readonly string[],
  specs: readonly ColumnSpec<K>[],
): ColumnMap<K> {
  const names = header.map(normalizeName);
  const taken = new Set<number>();
  const index: Partial<Record<K, number>> = {};
  const missing: K[] = [];
  for (const spec of specs) {
    let found: number | undefined;
    for (const variant of spec.names) {
      const i = names.findIndex((n, at) => n === variant && !taken.has(at));
      if (i >= 0) {
        found = i;
        break;
      }
    }
    if (found === undefined) {
      if (spec.required) missing.push(spec.key);
      continue;
    }
    taken.add(found);
    index[spec.key] = found;
  }
  const ignored = header.filter((_, i) => !taken.has(i) && names[i] !== '');
  return { index, missing, ignored };
}

/** The value of a field in a record: trimmed, '' for a missing column or a short record. */
export function cell<K extends string>(
  map: ColumnMap<K>,
  fields: readonly string[],
  key: K,
): string {
  const i = map.index[key];
  return i === undefined ? '' : (fields[i] ?? '').trim();
}

/**
 * A DLT ID as spreadsheets leave it: surrounding spaces, Excel's text marker (a leading or
 * trailing apostrophe), a formula wrapper (="1107…"), quotes. Scientific notation is not undone:
 * Excel keeps 15 significant digits, so the ID's last digits are already lost.
 */
export function cleanId(raw: string): { id: string } | { problem: string } {
  let id = raw.trim();
  const formula = /^="(.*)"$/.exec(id);
  if (formula) id = formula[1]!;
  id = id.replace(/^['"`‘’]+|['"`‘’]+$/g, '').trim();
  if (/^\d+(\.\d+)?e\+?\d+$/i.test(id)) {
    return {
      problem: `${raw.trim()} is in scientific notation: Excel rounded it and its last digits are lost. Export the file again with the column formatted as text`,
    };
  }
  if (/^\d+\.0+$/.test(id)) id = id.replace(/\.0+$/, '');
  return { id };
}
