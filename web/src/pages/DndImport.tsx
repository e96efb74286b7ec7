/** Imports DND preferences in bulk from a CSV of number and preferences, all or nothing. */

import { CsvImportForm } from '../components/CsvImportForm.tsx';

export function DndImport() {
  return (
    <section className="card" aria-labelledby="dnd-import-title">
      <h2 id="dnd-import-title">Import a DND list</h2>
      <CsvImportForm
        endpoint="/api/v1/dnd/import"
        hint={
          'Rows of number and preferences: "" none, "0" fully blocked, or categories such as "1|3". Without a preferences column every number is fully blocked.'
        }
      />
    </section>
  );
}
