/**
 * Places a simulated call on the open flow and shows it run: the path lights up on the canvas
 * applet by applet, and each SMS the call produced appears with its status changing live
 * (queued, sending, submitted, delivered).
 *
 * A test call is a real inbound call to one of the flow's ExoPhones, played by the simulator: it
 * runs the live version. So the panel first makes sure the flow is saved, published, and has an
 * ExoPhone.
 */

import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import type { FlowDocument } from '../../../src/flows/types.ts';
import type { CallLogSteps } from '../lib/browser-call.ts';
import {
  type CallRecord,
  callsApi,
  type ExoPhone,
  numbersApi,
  type TestCallScript,
} from '../lib/flows-api.ts';
import { followCall } from '../lib/follow-call.ts';
import type { MessageDetail } from '../lib/sms-api.ts';
import { BrowserCallSection } from './BrowserCall.tsx';
import type { SavedState } from './BuilderEditor.tsx';
import type { RunState } from './graph.ts';
import { TestCallForm } from './TestCallForm.tsx';
import { TestCallProgress } from './TestCallProgress.tsx';
import { TestCallReadiness } from './TestCallReadiness.tsx';

/** Steps are revealed one at a time, this far apart, so the path visibly walks the canvas. */
const STEP_REVEAL_MS = 450;

function runStateOf(call: CallRecord, shown: number): RunState {
  const all = call.log.steps ?? [];
  const steps = all.slice(0, shown);
  const finished = call.status === 'completed' && shown >= all.length;
  const taken = new Set<string>();
  steps.forEach((step, i) => {
    if (step.exit && (i < steps.length - 1 || finished)) taken.add(`${step.appletId}:${step.exit}`);
  });
  return {
    visited: new Set(steps.map((s) => s.appletId)),
    active: finished ? undefined : steps[steps.length - 1]?.appletId,
    taken,
  };
}

export interface TestCallPanelProps {
  doc: FlowDocument;
  saved: SavedState | null;
  dirty: boolean;
  errorCount: number;
  onSave: () => Promise<SavedState | null>;
  onPublish: () => Promise<void>;
  onRun: (run: RunState | undefined) => void;
  onClose: () => void;
}

export function TestCallPanel(props: TestCallPanelProps) {
  const { saved, onRun } = props;
  const [numbers, setNumbers] = useState<ExoPhone[]>([]);
  const [call, setCall] = useState<CallRecord | null>(null);
  const [shown, setShown] = useState(0);
  const [messages, setMessages] = useState<Record<string, MessageDetail>>({});
  const [error, setError] = useState<string | null>(null);
  const [placing, setPlacing] = useState(false);
  /** The call shown came from this browser: its progress shows under the keypad. */
  const [fromBrowser, setFromBrowser] = useState(false);
  const follower = useRef<{ stop(): void } | null>(null);

  const reloadNumbers = useCallback(() => {
    numbersApi.list().then(
      (list) => setNumbers(list.items),
      () => setNumbers([]),
    );
  }, []);
  useEffect(reloadNumbers, [reloadNumbers]);
  useEffect(() => () => follower.current?.stop(), []);

  // Reveal the call's steps one by one, whatever pace they arrived at.
  const total = call?.log.steps?.length ?? 0;
  useEffect(() => {
    if (shown >= total) return;
    const timer = setTimeout(() => setShown((n) => n + 1), shown === 0 ? 0 : STEP_REVEAL_MS);
    return () => clearTimeout(timer);
  }, [total, shown]);

  useEffect(() => {
    onRun(call ? runStateOf(call, shown) : undefined);
  }, [call, shown, onRun]);

  const exophones = saved ? numbers.filter((n) => n.flowId === saved.id).map((n) => n.number) : [];
  const ready =
    saved !== null && !props.dirty && saved.liveVersion === saved.version && exophones.length > 0;

  async function place(script: TestCallScript, event: FormEvent) {
    event.preventDefault();
    setError(null);
    follower.current?.stop();
    setPlacing(true);
    try {
      const started = await callsApi.start(script);
      setFromBrowser(false);
      setCall(started);
      setShown(0);
      setMessages({});
      follower.current = followCall(started.sid, {
        onCall: setCall,
        onSms: (m) => setMessages((all) => ({ ...all, [m.sid]: m })),
      });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPlacing(false);
    }
  }

  // A call from this browser: its log grows live (from the call's own events); the saved record
  // (with the SMS statuses) comes from the same follower as a simulated call's.
  const browserCall = {
    onStarted({ callSid, to, from }: { callSid: string; to: string; from: string }) {
      follower.current?.stop();
      setError(null);
      setFromBrowser(true);
      setShown(0);
      setMessages({});
      setCall({
        sid: callSid,
        flowId: saved?.id ?? '',
        flowVersion: saved?.liveVersion ?? 0,
        from,
        to,
        status: 'in-progress',
        endReason: null,
        startedAt: new Date().toISOString(),
        endedAt: null,
        origin: null,
        log: {},
        sms: [],
      });
      follower.current = followCall(callSid, {
        // While the call runs, the saved record has no log yet: keep the live one.
        onCall: (next) =>
          setCall((prev) =>
            next.status === 'in-progress' && prev?.sid === next.sid
              ? { ...next, log: prev.log }
              : next,
          ),
        onSms: (m) => setMessages((all) => ({ ...all, [m.sid]: m })),
      });
    },
    onProgress(log: CallLogSteps) {
      setCall((prev) =>
        prev && prev.status === 'in-progress' ? { ...prev, log: { ...prev.log, ...log } } : prev,
      );
    },
    onEnded() {},
  };

  return (
    <aside className="properties test-call" aria-label="Test call">
      <header className="panel-head">
        <h2>Test call</h2>
        <button
          type="button"
          className="btn ghost"
          onClick={props.onClose}
          aria-label="Close test call"
        >
          ✕
        </button>
      </header>
      <div className="panel-body stack">
        <TestCallReadiness {...props} numbers={numbers} onNumbersChanged={reloadNumbers} />
        <BrowserCallSection exophones={exophones} ready={ready} events={browserCall} />
        {call && fromBrowser ? (
          <TestCallProgress call={call} shown={shown} messages={messages} />
        ) : null}
        <h3>Scripted caller</h3>
        <TestCallForm
          doc={props.doc}
          exophones={exophones}
          busy={placing}
          ready={ready}
          onSubmit={place}
        />
        {error ? (
          <div className="alert danger" role="alert">
            {error}
          </div>
        ) : null}
        {call && !fromBrowser ? (
          <TestCallProgress call={call} shown={shown} messages={messages} />
        ) : null}
      </div>
    </aside>
  );
}
