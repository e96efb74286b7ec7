/** The test caller's script: who calls, which keys they press, how agents behave, when they hang up. */

import { type FormEvent, useState } from 'react';
import type { FlowDocument } from '../../../src/flows/types.ts';
import { SelectField, TextField } from '../components/ui.tsx';
import type { TestCallScript } from '../lib/flows-api.ts';

type Behaviour = 'answer' | 'no-answer' | 'busy' | 'fail';
const BEHAVIOURS: { value: Behaviour; label: string }[] = [
  { value: 'answer', label: 'Answers' },
  { value: 'no-answer', label: 'Does not answer' },
  { value: 'busy', label: 'Is busy' },
  { value: 'fail', label: 'Call fails' },
];

export function TestCallForm({
  doc,
  exophones,
  busy,
  ready,
  onSubmit,
}: {
  doc: FlowDocument;
  /** The ExoPhones that run this flow. */
  exophones: string[];
  busy: boolean;
  /** Saved, live and with an ExoPhone: a call can run. */
  ready: boolean;
  onSubmit: (script: TestCallScript, event: FormEvent) => void;
}) {
  const [from, setFrom] = useState('+919876543210');
  const [chosen, setChosen] = useState('');
  const to = exophones.includes(chosen) ? chosen : (exophones[0] ?? '');
  const [digits, setDigits] = useState('');
  const [behaviour, setBehaviour] = useState<Behaviour>('answer');
  const [hangup, setHangup] = useState<'never' | 'seconds' | 'applet'>('never');
  const [hangupSeconds, setHangupSeconds] = useState('30');
  const [hangupApplet, setHangupApplet] = useState('');
  const appletIds = Object.keys(doc.applets);

  function submit(event: FormEvent) {
    const script: TestCallScript = { from: from.trim(), to, defaultAgent: { behaviour } };
    if (digits.trim()) script.digits = digits.trim();
    if (hangup === 'seconds' && Number(hangupSeconds) >= 0)
      script.hangupAfterSeconds = Number(hangupSeconds);
    if (hangup === 'applet' && hangupApplet) script.hangupAfterApplet = hangupApplet;
    onSubmit(script, event);
  }

  const digitsInvalid = digits !== '' && !/^[0-9*#]+$/.test(digits);
  return (
    <form className="stack" onSubmit={submit} aria-label="Test call script">
      <TextField label="Caller's number" value={from} onChange={setFrom} type="tel" required />
      <SelectField
        label="ExoPhone called"
        value={to}
        onChange={setChosen}
        options={exophones}
        hint={exophones.length === 0 ? 'Assign an ExoPhone to this flow first.' : undefined}
      />
      <TextField
        label="Digits to press"
        value={digits}
        onChange={setDigits}
        placeholder="e.g. 1"
        hint="Keys 0-9, * and #, pressed as the flow listens."
        error={digitsInvalid ? 'Only 0-9, * and #.' : undefined}
      />
      <SelectField
        label="The agent"
        value={behaviour}
        onChange={(v) => setBehaviour(v as Behaviour)}
        options={BEHAVIOURS}
      />
      <SelectField
        label="The caller hangs up"
        value={hangup}
        onChange={(v) => setHangup(v as typeof hangup)}
        options={[
          { value: 'never', label: 'When the flow ends' },
          { value: 'seconds', label: 'After some seconds' },
          { value: 'applet', label: 'After an applet' },
        ]}
      />
      {hangup === 'seconds' ? (
        <TextField
          label="Seconds into the call"
          type="number"
          value={hangupSeconds}
          onChange={setHangupSeconds}
        />
      ) : null}
      {hangup === 'applet' ? (
        <SelectField
          label="After applet"
          value={hangupApplet}
          onChange={setHangupApplet}
          options={appletIds}
          placeholder="Choose an applet"
        />
      ) : null}
      <button
        type="submit"
        className="btn primary"
        disabled={busy || digitsInvalid || !ready || !to}
      >
        {busy ? 'Placing the call…' : 'Place test call'}
      </button>
    </form>
  );
}
