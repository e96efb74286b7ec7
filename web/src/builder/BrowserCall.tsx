/**
 * "Call from this browser": a real call to the flow's ExoPhone through the microphone, with the
 * flow's prompts played here, a keypad (and the computer's number keys) for its menus, and a
 * hang-up button. The call runs the live flow like a phone call would; the panel around it lights
 * the path and shows the SMS as they change.
 */

import { useCallback, useEffect, useRef, useState } from 'react';
import { SelectField, TextField } from '../components/ui.tsx';
import { type BrowserCall, type CallLogSteps, startBrowserCall } from '../lib/browser-call.ts';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export interface BrowserCallEvents {
  onStarted: (call: { callSid: string; to: string; from: string }) => void;
  onProgress: (log: CallLogSteps) => void;
  onEnded: () => void;
}

type Phase = 'idle' | 'starting' | 'live';

export function BrowserCallSection({
  exophones,
  ready,
  events,
}: {
  exophones: string[];
  /** Saved, live and with an ExoPhone: a call can run. */
  ready: boolean;
  events: BrowserCallEvents;
}) {
  const [chosen, setChosen] = useState('');
  const to = exophones.includes(chosen) ? chosen : (exophones[0] ?? '');
  const [from, setFrom] = useState('');
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<string | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const [pressed, setPressed] = useState('');
  const call = useRef<BrowserCall | null>(null);
  const audio = useRef<HTMLAudioElement | null>(null);
  const handlers = useRef(events);
  handlers.current = events;

  // Leaving the Builder hangs up.
  useEffect(() => () => void call.current?.hangup().catch(() => {}), []);

  const press = useCallback((key: string) => {
    call.current?.sendKey(key);
    setPressed((keys) => (keys + key).slice(-16));
  }, []);

  // The computer's number keys work as the keypad while a call is on.
  useEffect(() => {
    if (phase !== 'live') return;
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (/^[0-9*#]$/.test(event.key)) {
        event.preventDefault();
        press(event.key);
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [phase, press]);

  async function start() {
    setError(null);
    setEnded(null);
    setPressed('');
    setPhase('starting');
    try {
      const placed = await startBrowserCall(
        { to, from: from.trim() },
        {
          onAudio: (stream) => {
            if (audio.current) {
              audio.current.srcObject = stream;
              void audio.current.play().catch(() => {});
            }
          },
          onProgress: (log) => handlers.current.onProgress(log),
          onEnded: (by) => {
            call.current = null;
            setPhase('idle');
            setEnded(
              by === 'page-hangup'
                ? 'You hung up.'
                : by === 'our-hangup'
                  ? 'The flow ended the call.'
                  : 'The audio connection failed; the call was hung up.',
            );
            handlers.current.onEnded();
          },
        },
      );
      call.current = placed;
      setPhase('live');
      handlers.current.onStarted({ callSid: placed.callSid, to, from: from.trim() });
    } catch (err) {
      setPhase('idle');
      setError((err as Error).message);
    }
  }

  return (
    <section className="browser-call stack" aria-label="Call from this browser">
      <h3>Call from this browser</h3>
      <p className="small muted">
        Talk to the live flow with your microphone: hear its prompts, press keys, hang up.
      </p>
      {phase === 'idle' ? (
        <>
          <SelectField
            label="ExoPhone to call"
            value={to}
            onChange={setChosen}
            options={exophones}
            hint={exophones.length === 0 ? 'Assign an ExoPhone to this flow first.' : undefined}
          />
          <TextField
            label="Your number (optional)"
            value={from}
            onChange={setFrom}
            type="tel"
            placeholder="+9198…"
            hint="What the flow sees as the caller's number ({CallFrom}, SMS to the caller). Empty: withheld."
          />
          <button
            type="button"
            className="btn primary"
            onClick={() => void start()}
            disabled={!ready || !to}
          >
            Call from this browser
          </button>
        </>
      ) : null}
      {phase === 'starting' ? (
        <p className="small">Calling {to}… allow the microphone if asked.</p>
      ) : null}
      {phase === 'live' ? (
        <div className="stack" data-testid="browser-call-live">
          <p className="small">
            <strong>On a call with {to}</strong>{' '}
            <span className="muted">— press keys here or on your keyboard.</span>
          </p>
          <fieldset className="keypad" aria-label="Keypad">
            {KEYS.map((key) => (
              <button
                key={key}
                type="button"
                className="btn keypad-key"
                onClick={() => press(key)}
                aria-label={`Key ${key}`}
              >
                {key}
              </button>
            ))}
          </fieldset>
          <p className="small">
            Keys pressed:{' '}
            <span className="mono" data-testid="keys-pressed">
              {pressed}
            </span>
          </p>
          <button
            type="button"
            className="btn danger"
            onClick={() => void call.current?.hangup().catch((e: Error) => setError(e.message))}
          >
            Hang up
          </button>
        </div>
      ) : null}
      {/* biome-ignore lint/a11y/useMediaCaption: a live call's audio has no captions to give. */}
      <audio ref={audio} autoPlay data-testid="browser-call-audio" />
      {ended ? (
        <p className="small" role="status">
          {ended}
        </p>
      ) : null}
      {error ? (
        <div className="alert danger" role="alert">
          {error}
        </div>
      ) : null}
    </section>
  );
}
