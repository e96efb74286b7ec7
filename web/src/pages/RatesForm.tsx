/** The account's per-segment rates by SMS type, in rupees. */

import { type FormEvent, useState } from 'react';
import { paiseToRupees } from '../../../src/money.ts';
import { SMS_TYPES } from '../../../src/store/types.ts';
import { ErrorAlert, TextField } from '../components/ui.tsx';
import { type Account, accountApi, type Rates } from '../lib/account-api.ts';
import { formatPaise, parseRupees } from '../lib/format.ts';
import { toast } from '../lib/toast.ts';

const TYPES: readonly (keyof Rates)[] = SMS_TYPES;

const asRupees = (paise: number) => paiseToRupees(paise);

export function RatesForm({
  account,
  onSaved,
}: {
  account: Account;
  onSaved: (a: Account) => void;
}) {
  const [draft, setDraft] = useState<Record<keyof Rates, string>>({
    transactional: asRupees(account.rates.transactional),
    service: asRupees(account.rates.service),
    promotional: asRupees(account.rates.promotional),
  });
  const [error, setError] = useState<unknown>(null);
  const parsed = Object.fromEntries(TYPES.map((t) => [t, parseRupees(draft[t])])) as Record<
    keyof Rates,
    number | null
  >;
  const invalid = TYPES.some((t) => parsed[t] === null);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (invalid) return;
    setError(null);
    try {
      const updated = await accountApi.update({ rates: parsed as Rates });
      onSaved(updated);
      toast('Rates saved.');
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form className="card stack" onSubmit={save} aria-labelledby="rates-title">
      <h2 id="rates-title">Rates per segment</h2>
      {TYPES.map((t) => (
        <TextField
          key={t}
          label={`${t.charAt(0).toUpperCase()}${t.slice(1)} (₹)`}
          value={draft[t]}
          onChange={(v) => setDraft((d) => ({ ...d, [t]: v }))}
          hint={parsed[t] === null ? undefined : `${formatPaise(parsed[t])} per segment`}
          error={parsed[t] === null ? 'An amount in rupees, e.g. 0.25' : undefined}
        />
      ))}
      <ErrorAlert error={error} />
      <div>
        <button type="submit" className="btn" disabled={invalid}>
          Save rates
        </button>
      </div>
    </form>
  );
}
