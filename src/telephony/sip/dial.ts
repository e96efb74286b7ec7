/**
 * Connect on a real call: rings the agents a published flow names, one after another or all at
 * once, each at most `ringSeconds`, and bridges the caller to the first who answers through the
 * caller's rtpengine session (media/bridge.ts). Outcomes map as the simulator's do: 486/600 busy;
 * 408/480 or no final answer within the ring time (CANCEL sent) no-answer; any other failure
 * failed, with the SIP status in the attempt. The caller hanging up while agents ring CANCELs
 * them and ends `no-answer` with `callerHungUp`; during the conversation it ends `completed`.
 *
 * Toll fraud: only what the published flow wrote is dialled: numbers through the configured trunk
 * (or one the Connect names), SIP URIs as written, softphone users at their registered contact.
 */

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { basename } from 'node:path';
import type { MediaEngine } from '../media/index.ts';
import { finishRecording } from '../media/recording.ts';
import { unanswered } from '../simulator.ts';
import type { DialAttempt, DialOptions, DialOutcome, DialResult } from '../types.ts';
import type { SipConfig, SipTrunk } from './config.ts';
import type { SipLogger } from './endpoint.ts';
import { parseUri } from './message.ts';
import type { Peer } from './transport.ts';
import type { InviteOutcome, OutboundDialog, SipUac } from './uac.ts';

export interface DialDeps {
  uac: SipUac;
  /** The `sip` section of the configuration, whole. */
  sip: SipConfig;
  media: MediaEngine;
  logger: SipLogger;
  registeredContact(username: string): string | undefined;
  /** The ringback tone's WAV file. */
  ringback(): Promise<string>;
  /** DATA_DIR/recordings: recorded conversations are written there. */
  recordingsDir: string;
  /** `recordings.publicUrl`: the base of RecordingUrl; '' for a path. */
  recordingsUrlBase: string;
}

/** The caller's side of the Connect. */
export interface CallerLeg {
  callId: string;
  callerTag: string;
  ourTag: string;
  offer: string;
  /** The caller's number (E.164), '' when withheld. */
  callerNumber: string;
  hangupSignal: AbortSignal;
}

export interface RealDialOptions extends DialOptions {
  /** A trunk other than `sip.outboundTrunk` for this Connect's numbers. */
  trunk?: string | undefined;
  record?: boolean | undefined;
}

export interface AgentTarget {
  agent: string;
  uri: string;
  peer: Peer;
  fromUser: string;
  credentials?: { username: string; password: string } | undefined;
}

type Resolved = AgentTarget | { agent: string; failure: { code: string; message: string } };

/** How an attempt ended, with the agent's SIP status when it sent one. */
interface Ring {
  outcome: DialOutcome | 'canceled';
  ringSeconds: number;
  status?: number;
  dialog?: OutboundDialog;
  sdp?: string;
}

export async function dialAgents(
  deps: DialDeps,
  leg: CallerLeg,
  agents: string[],
  options: RealDialOptions,
): Promise<DialResult> {
  const log = (object: Record<string, unknown>, message: string) =>
    deps.logger.info({ callId: leg.callId, ...object }, `connect: ${message}`);
  const resolved = await Promise.all(
    agents.map((agent) => resolveAgent(agent, options, deps, leg)),
  );
  const targets = resolved.filter((r): r is AgentTarget => !('failure' in r));
  const failedAttempts: DialAttempt[] = [];
  for (const r of resolved) {
    if (!('failure' in r)) continue;
    deps.logger.warn(
      { callId: leg.callId, agent: r.agent, code: r.failure.code },
      `connect: ${r.failure.message}`,
    );
    failedAttempts.push({ number: r.agent, outcome: 'failed', ringSeconds: 0 });
  }
  if (targets.length === 0) {
    const first = resolved[0] as { failure: { code: string; message: string } };
    return { outcome: 'failed', attempts: failedAttempts, failure: first.failure };
  }
  if (leg.hangupSignal.aborted) return { outcome: 'no-answer', attempts: [], callerHungUp: true };

  const tags = { callId: leg.callId, callerTag: leg.callerTag, ourTag: leg.ourTag };
  let sdp: string;
  try {
    sdp = await deps.media.offerAgent({ ...tags, offer: leg.offer });
  } catch (error) {
    const code =
      typeof (error as { code?: unknown }).code === 'string'
        ? (error as { code: string }).code
        : 'MEDIA_UNAVAILABLE';
    deps.logger.error(
      { callId: leg.callId, code, error: String(error) },
      'connect: no media offer for the agents; nobody is dialled',
    );
    return {
      outcome: 'failed',
      attempts: agents.map((number) => ({ number, outcome: 'failed', ringSeconds: 0 })),
      failure: { code, message: 'the media engine could not offer the agent leg' },
    };
  }
  let ringback = true;
  try {
    await deps.media.playLoop(tags, await deps.ringback());
  } catch (error) {
    ringback = false;
    deps.logger.warn({ callId: leg.callId, error: String(error) }, 'connect: no ringback tone');
  }
  let earlyMediaFrom: string | undefined;
  const stopRingback = async () => {
    if (!ringback) return;
    ringback = false;
    await deps.media.stop(tags).catch(() => {});
  };
  const onEarlyMedia = (agent: string, early: string) => {
    if (earlyMediaFrom !== undefined) return;
    earlyMediaFrom = agent;
    log({ agent }, 'early media from the agent');
    void stopRingback()
      .then(() => deps.media.answerAgent(tags, early))
      .catch((error: unknown) =>
        deps.logger.warn({ callId: leg.callId, error: String(error) }, 'connect: early media'),
      );
  };

  const attempts: DialAttempt[] = [...failedAttempts];
  let winner: { target: AgentTarget; ring: Ring } | undefined;
  if (options.mode === 'simultaneous') {
    const cancels: (() => void)[] = [];
    const rings = targets.map((target, i) =>
      ringAgent(
        deps,
        target,
        sdp,
        options.ringSeconds,
        leg.hangupSignal,
        onEarlyMedia,
        (cancel) => {
          cancels[i] = cancel;
        },
      ).then((ring) => {
        if (ring.outcome === 'completed') {
          if (winner) {
            // Answered too late: another agent has the caller.
            void ring.dialog?.bye();
            return { ...ring, outcome: 'no-answer' as const, dialog: undefined };
          }
          winner = { target, ring };
          for (const [j, cancel] of cancels.entries()) if (j !== i) cancel?.();
        }
        return ring;
      }),
    );
    const done = await Promise.all(rings);
    for (const [i, ring] of done.entries()) {
      attempts.push({
        number: targets[i]!.agent,
        outcome: ring === winner?.ring || !winner ? ring.outcome : lostTo(ring),
        ringSeconds: ring.ringSeconds,
      });
      if (ring.status) log({ agent: targets[i]!.agent, status: ring.status }, 'agent answered');
    }
  } else {
    for (const target of targets) {
      if (leg.hangupSignal.aborted) break;
      const ring = await ringAgent(
        deps,
        target,
        sdp,
        options.ringSeconds,
        leg.hangupSignal,
        onEarlyMedia,
        () => {},
      );
      attempts.push({ number: target.agent, outcome: ring.outcome, ringSeconds: ring.ringSeconds });
      if (ring.outcome === 'completed') {
        winner = { target, ring };
        break;
      }
      if (earlyMediaFrom === target.agent) earlyMediaFrom = undefined;
    }
  }
  attempts.sort((a, b) => agents.indexOf(a.number) - agents.indexOf(b.number));

  if (!winner) {
    await stopRingback();
    if (leg.hangupSignal.aborted) {
      log({}, 'the caller hung up while the agents rang');
      return { outcome: 'no-answer', attempts, callerHungUp: true };
    }
    const detail = attempts.map((a) => a.outcome);
    log({ attempts: detail }, 'nobody answered');
    return { outcome: unanswered(attempts), attempts };
  }
  return converse(deps, leg, tags, winner.target, winner.ring, attempts, stopRingback, options);
}

/** A loser of a simultaneous dial that was still ringing when the winner answered. */
function lostTo(ring: Ring): DialOutcome | 'canceled' {
  return ring.outcome === 'canceled' ? 'no-answer' : ring.outcome;
}

async function converse(
  deps: DialDeps,
  leg: CallerLeg,
  tags: { callId: string; callerTag: string; ourTag: string },
  target: AgentTarget,
  ring: Ring,
  attempts: DialAttempt[],
  stopRingback: () => Promise<void>,
  options: RealDialOptions,
): Promise<DialResult> {
  const dialog = ring.dialog!;
  await stopRingback();
  try {
    await deps.media.answerAgent(tags, ring.sdp ?? '');
  } catch (error) {
    deps.logger.error(
      { callId: leg.callId, agent: target.agent, error: String(error) },
      'connect: the agent answered but the media bridge failed; hanging up the agent',
    );
    await dialog.bye();
    const failed = attempts.map((a) =>
      a.number === target.agent ? { ...a, outcome: 'failed' as const } : a,
    );
    return {
      outcome: 'failed',
      attempts: failed,
      failure: { code: 'MEDIA_REJECTED', message: 'the media bridge to the agent failed' },
    };
  }
  const answeredAt = Date.now();
  const recording = options.record ? await startRecording(deps, tags) : false;
  deps.logger.info(
    { callId: leg.callId, agent: target.agent, agentCallId: dialog.callId },
    'connect: bridged to the agent',
  );
  const callerGone = new Promise<'caller'>((resolve) => {
    if (leg.hangupSignal.aborted) resolve('caller');
    else leg.hangupSignal.addEventListener('abort', () => resolve('caller'), { once: true });
  });
  const ended = await Promise.race([dialog.ended, callerGone]);
  const talkSeconds = Math.round((Date.now() - answeredAt) / 100) / 10;
  if (ended === 'caller') await dialog.bye();
  const recorded = recording ? await finishRecordingOf(deps, tags, ended === 'caller') : undefined;
  deps.logger.info(
    {
      callId: leg.callId,
      agent: target.agent,
      talkSeconds,
      endedBy: ended === 'caller' ? 'caller' : 'agent',
    },
    'connect: conversation ended',
  );
  return {
    outcome: 'completed',
    answeredBy: target.agent,
    talkSeconds,
    attempts,
    ...(ended === 'caller' ? { callerHungUp: true } : {}),
    ...(recorded ? { recording: recorded } : {}),
  };
}

async function startRecording(
  deps: DialDeps,
  tags: { callId: string; callerTag: string },
): Promise<boolean> {
  try {
    await deps.media.startRecording(tags);
    return true;
  } catch (error) {
    deps.logger.error(
      { callId: tags.callId, error: String(error) },
      'connect: the recording could not be started; the conversation goes on unrecorded',
    );
    return false;
  }
}

/** Stops rtpengine's recording (unless the caller's hang-up already deleted the session) and writes the WAV. */
async function finishRecordingOf(
  deps: DialDeps,
  tags: { callId: string; callerTag: string },
  sessionGone: boolean,
): Promise<DialResult['recording']> {
  try {
    // After the caller's hang-up the session is being deleted, which ends the recording too.
    if (!sessionGone) await deps.media.stopRecording(tags).catch(() => {});
    const done = await finishRecording(deps.recordingsDir, tags.callId);
    if (!done) deps.logger.warn({ callId: tags.callId }, 'connect: rtpengine wrote no recording');
    else
      deps.logger.info({ callId: tags.callId, seconds: done.seconds }, 'connect: recording kept');
    return (
      done && { file: basename(done.file), seconds: done.seconds, urlBase: deps.recordingsUrlBase }
    );
  } catch (error) {
    deps.logger.error(
      { callId: tags.callId, error: String(error) },
      'connect: the recording could not be written',
    );
    return undefined;
  }
}

/** Rings one agent until it answers, refuses, rings out (CANCEL) or the caller hangs up (CANCEL). */
async function ringAgent(
  deps: DialDeps,
  target: AgentTarget,
  sdp: string,
  ringSeconds: number,
  hangup: AbortSignal,
  onEarlyMedia: (agent: string, sdp: string) => void,
  exposeCancel: (cancel: () => void) => void,
): Promise<Ring> {
  const started = Date.now();
  const invite = deps.uac.invite({
    uri: target.uri,
    peer: target.peer,
    fromUser: target.fromUser,
    sdp,
    credentials: target.credentials,
    onProgress: (status, early) => {
      if (status === 183 && early !== undefined) onEarlyMedia(target.agent, early);
    },
  });
  let rangOut = false;
  const timer = setTimeout(() => {
    rangOut = true;
    invite.cancel();
  }, ringSeconds * 1000);
  const onHangup = () => invite.cancel();
  hangup.addEventListener('abort', onHangup, { once: true });
  if (hangup.aborted) invite.cancel();
  exposeCancel(() => invite.cancel());
  let outcome: InviteOutcome;
  try {
    outcome = await invite.result;
  } finally {
    clearTimeout(timer);
    hangup.removeEventListener('abort', onHangup);
  }
  const rang = Math.round((Date.now() - started) / 100) / 10;
  deps.logger.info(
    {
      agent: target.agent,
      agentCallId: invite.callId,
      result: outcome.kind,
      ...(outcome.kind === 'refused' ? { status: outcome.status, reason: outcome.reason } : {}),
    },
    'connect: agent attempt ended',
  );
  switch (outcome.kind) {
    case 'answered':
      return {
        outcome: 'completed',
        ringSeconds: rang,
        dialog: outcome.dialog,
        sdp: outcome.sdp,
      };
    case 'refused':
      return {
        outcome: outcomeOfStatus(outcome.status),
        ringSeconds: rang,
        status: outcome.status,
      };
    case 'canceled':
      return { outcome: rangOut ? 'no-answer' : 'canceled', ringSeconds: rang };
    case 'timeout':
      return { outcome: 'failed', ringSeconds: rang, status: 408 };
  }
}

/** A final error status from an agent, as a Connect outcome. */
export function outcomeOfStatus(status: number): DialOutcome {
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480) return 'no-answer';
  return 'failed';
}

/**
 * Where and how to ring an agent as the flow wrote it: a number through a trunk, `sip:` URI,
 * or `user:name` at its registration.
 */
export async function resolveAgent(
  agent: string,
  options: RealDialOptions,
  deps: Pick<DialDeps, 'sip' | 'registeredContact'>,
  leg: Pick<CallerLeg, 'callerNumber'>,
): Promise<Resolved> {
  const fail = (code: string, message: string): Resolved => ({ agent, failure: { code, message } });
  const callerId = leg.callerNumber === '' ? 'anonymous' : leg.callerNumber;
  if (agent.startsWith('+')) {
    const name = options.trunk ?? deps.sip.outboundTrunk;
    if (name === undefined)
      return fail('SIP_NO_OUTBOUND_TRUNK', 'no outbound trunk is configured (sip.outboundTrunk)');
    const trunk = deps.sip.trunks.find((t) => t.name === name);
    if (!trunk?.outbound)
      return fail(
        'SIP_NO_OUTBOUND_TRUNK',
        `trunk ${name} is not configured for outbound calls (sip.trunks[].outbound)`,
      );
    const out = trunk.outbound;
    const address = await resolveHost(out.host);
    if (address === undefined)
      return fail(
        'SIP_AGENT_UNREACHABLE',
        `the address of trunk ${name} (${out.host}) does not resolve`,
      );
    const transport = out.transport === 'tcp' ? 'TCP' : 'UDP';
    return {
      agent,
      uri: `sip:${formatNumber(agent, trunk)}@${hostPort(out.host, out.port)}${transport === 'TCP' ? ';transport=tcp' : ''}`,
      peer: { transport, address, port: out.port },
      fromUser: (out.callerId ?? callerId).replace(/^\+/, out.numberFormat === '+91' ? '+' : ''),
      credentials: out.credentials,
    };
  }
  let uri: string;
  if (agent.startsWith('user:')) {
    const username = agent.slice(5);
    if (!deps.sip.users.some((u) => u.username === username))
      return fail(
        'SIP_AGENT_UNREACHABLE',
        `${username} is not a configured softphone user (sip.users)`,
      );
    const contact = deps.registeredContact(username);
    if (contact === undefined)
      return fail('SIP_AGENT_UNREACHABLE', `softphone user ${username} is not registered`);
    uri = contact;
  } else {
    uri = agent;
  }
  let parsed: ReturnType<typeof parseUri>;
  try {
    parsed = parseUri(uri);
  } catch {
    return fail('SIP_AGENT_UNREACHABLE', `${uri} is not a SIP URI`);
  }
  const address = await resolveHost(parsed.host);
  if (address === undefined)
    return fail('SIP_AGENT_UNREACHABLE', `the host of ${uri} does not resolve`);
  const transport = parsed.params.get('transport')?.toLowerCase() === 'tcp' ? 'TCP' : 'UDP';
  return {
    agent,
    uri,
    peer: { transport, address, port: parsed.port ?? 5060 },
    fromUser: callerId,
  };
}

/** The dialled number as the trunk wants it: `+91…`, `91…` or `0…` (`00…` abroad). */
export function formatNumber(e164: string, trunk: Pick<SipTrunk, 'outbound'>): string {
  const format = trunk.outbound?.numberFormat ?? '+91';
  const digits = e164.replace(/^\+/, '');
  if (format === '+91') return `+${digits}`;
  if (format === '91') return digits;
  return digits.startsWith('91') ? `0${digits.slice(2)}` : `00${digits}`;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function resolveHost(host: string): Promise<string | undefined> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return bare;
  try {
    return (await lookup(bare)).address;
  } catch {
    return undefined;
  }
}
