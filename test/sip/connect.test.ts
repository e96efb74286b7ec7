/**
 * Connect on real calls: sipp calls callflow, sipp UAS scenarios play the agents and the trunks.
 * The guide's post-call confirmation after a real conversation (each side's tone reaches the other
 * through rtpengine), the missed-call alert when the agent is busy, never answers, or the caller
 * gives up while it rings (CANCEL seen by the agent), simultaneous ringing (the loser CANCELed),
 * a trunk's 407 challenge answered once (and not looped on with wrong credentials), and a PCMU
 * caller talking to a PCMA agent through rtpengine's transcoding.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { createAccount } from '../../src/accounts.ts';
import type { FlowDocument } from '../../src/flows/types.ts';
import {
  type Agent,
  answerAndTalk,
  answeringAgent,
  CANCELED_AGENT,
  challengingTrunk,
  digestAnswers,
  RtpTap,
  refusingAgent,
  refusingTrunk,
  startAgent,
  tonePcap,
  toneShare,
} from './agents.ts';
import {
  ANSWERED,
  byeMessage,
  type CallflowUnderTest,
  eventually,
  freeUdpPort,
  inviteMessage,
  RECEIVE_BYE,
  runSipp,
  scenario,
  startCallflow,
} from './helpers.ts';

const CALLER = '9876543210';
const CALLER_E164 = '919876543210';
const CALLER_TONE = 600;
const AGENT_TONE = 1000;

type Step = { appletId: string; exit: string | null; detail?: Record<string, unknown> };
type Log = { steps: Step[]; endReason: string };

let callflow: CallflowUnderTest;
let accountSid: string;
/** The trunk the demo flow's Connect dials through (`sip.outboundTrunk`). */
let trunkPort: number;
let secureTrunkPort: number;
let wrongTrunkPort: number;
const agents: Agent[] = [];

before(async () => {
  trunkPort = await freeUdpPort();
  secureTrunkPort = await freeUdpPort();
  wrongTrunkPort = await freeUdpPort();
  const outboundOnly = ['192.0.2.1/32'];
  callflow = await startCallflow({
    trunks: [
      { name: 'loopback', addresses: ['127.0.0.1/32'] },
      {
        name: 'agents',
        addresses: outboundOnly,
        outbound: { host: '127.0.0.1', port: trunkPort, numberFormat: '0' },
      },
      {
        name: 'secure',
        addresses: outboundOnly,
        outbound: {
          host: '127.0.0.1',
          port: secureTrunkPort,
          credentials: { username: 'acme', password: 's3cret-trunk' },
        },
      },
      {
        name: 'wrong',
        addresses: outboundOnly,
        outbound: {
          host: '127.0.0.1',
          port: wrongTrunkPort,
          credentials: { username: 'acme', password: 'not-the-password' },
        },
      },
    ],
    outboundTrunk: 'agents',
    users: [{ username: 'alice', password: 'alice-secret-1' }],
  });
  accountSid = callflow.server.demo!.accountSid;
});

after(async () => {
  for (const agent of agents) await agent.stop();
  await callflow?.stop();
});

async function agent(body: string, options: { port?: number } = {}): Promise<Agent> {
  const started = await startAgent(body, options);
  agents.push(started);
  return started;
}

const sms = (templateId: string, body: string) => ({
  type: 'sms',
  config: {
    to: { kind: 'caller' },
    senderId: 'ACMECO',
    body,
    dltTemplateId: templateId,
    dltEntityId: '1101166000000000001',
    smsType: 'transactional',
  },
  next: { default: 'bye' },
});

let nextNumber = 20;
/** Publishes a Connect-first flow on a new ExoPhone and returns the number. */
async function connectFlow(config: Record<string, unknown>): Promise<string> {
  const number = `+9180456789${nextNumber++}`;
  const document = {
    name: 'Connect',
    start: 'agent',
    applets: {
      agent: {
        type: 'connect',
        config,
        next: { completed: 'confirm', 'no-answer': 'missed', busy: 'missed', failed: 'missed' },
      },
      confirm: sms(
        '1107166000000000002',
        'Thanks for contacting Acme Corp. Your reference number is {CallSid}.',
      ),
      missed: sms(
        '1107166000000000001',
        "We missed your call to {CallTo}. We'll call you back soon. - Acme",
      ),
      bye: { type: 'hangup', config: {} },
    },
  } as FlowDocument;
  const flows = callflow.server.flows!;
  const flow = await flows.createFlow(accountSid, { document });
  await flows.publish(accountSid, flow.id);
  await flows.assignNumber(accountSid, number, flow.id);
  return number;
}

async function lastCall(to: string) {
  const calls = await callflow.server.flows!.listCalls(accountSid, {}, null, 50);
  const call = calls.items.find((c) => c.to === to);
  assert.ok(call, `a call to ${to}`);
  return call;
}

async function connectStep(to: string): Promise<Step> {
  const call = await eventually(
    async () => {
      const c = await lastCall(to);
      return c.status === 'completed' ? c : undefined;
    },
    20_000,
    'the call to end',
  );
  const step = (call.log as Log).steps.find((s) => s.appletId === 'agent');
  assert.ok(step, 'the Connect step');
  return step;
}

function smsTo(text: RegExp) {
  return eventually(
    () =>
      callflow.server
        .simulator!.received()
        .filter((s) => s.destinationAddr === CALLER_E164)
        .find((s) => text.test(s.text)),
    15_000,
    `an SMS matching ${text}`,
  );
}

async function nothingLeft(): Promise<void> {
  const { server } = callflow;
  await eventually(
    async () => (await server.sip!.media.sessions()).length === 0,
    10_000,
    'no rtpengine session',
  );
  await eventually(
    () => {
      const size = server.sip!.calls.uac.size;
      return size.invites === 0 && size.dialogs === 0 && size.requests === 0;
    },
    10_000,
    'no outbound transaction or dialog',
  );
}

/** A caller that answers, streams its tone, and hangs up after `talkMs`. */
function talkingCaller(pcap: string, talkMs: number, offer?: string): string {
  return scenario(
    'caller',
    `${inviteMessage(offer ? { offer } : {})}
${ANSWERED}
  <nop><action><exec play_pcap_audio="${pcap}"/></action></nop>
  <pause milliseconds="${talkMs}"/>
${byeMessage()}`,
  );
}

describe('Connect on real calls', () => {
  it('post-call confirmation: the agent answers through the trunk, both sides hear each other, the caller hangs up, SMS', async () => {
    const agentSide = await agent(
      answeringAgent({ pcap: tonePcap('PCMA', AGENT_TONE, 10), ringMs: 300 }),
      { port: trunkPort },
    );
    const callerMedia = await freeUdpPort(true);
    const callerTap = await RtpTap.start(callerMedia);
    const agentTap = await RtpTap.start(agentSide.mediaPort);
    // The demo's missed-call flow: a ~3.5 s greeting, then Connect to +919812345678 via `agents`.
    const result = await runSipp({
      scenario: talkingCaller(tonePcap('PCMA', CALLER_TONE, 12), 8000),
      sipPort: callflow.sipPort,
      fields: [CALLER],
      mediaPort: callerMedia,
    });
    const agentResult = await agentSide.done;
    await callerTap.stop();
    await agentTap.stop();
    assert.equal(result.code, 0, result.output);
    assert.equal(agentResult.code, 0, agentResult.output);
    // The trunk got the number in its national form, and the caller's number as caller ID.
    assert.match(agentSide.messages(), /INVITE sip:09812345678@127\.0\.0\.1/);

    const heardByCaller = callerTap.withTone(8, AGENT_TONE);
    const heardByAgent = agentTap.withTone(8, CALLER_TONE);
    assert.ok(heardByCaller >= 100, `agent tone packets at the caller: ${heardByCaller}`);
    assert.ok(heardByAgent >= 100, `caller tone packets at the agent: ${heardByAgent}`);

    const step = await connectStep('+918045678900');
    assert.equal(step.exit, 'completed');
    assert.equal(step.detail!.answeredBy, '+919812345678');
    assert.equal(step.detail!.callerHungUp, true);
    const talk = step.detail!.talkSeconds as number;
    assert.ok(talk >= 2 && talk <= 7, `talkSeconds ${talk}`);
    const confirmation = await smsTo(/Your reference number is/);
    assert.ok(confirmation);
    await nothingLeft();
  });

  it('missed-call alert when the agent is busy (486)', async () => {
    const agentSide = await agent(refusingAgent(486, 'Busy Here'), { port: trunkPort });
    const result = await runSipp({
      scenario: scenario('caller', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
      sipPort: callflow.sipPort,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    assert.equal((await agentSide.done).code, 0);
    const step = await connectStep('+918045678900');
    assert.equal(step.exit, 'busy');
    assert.deepEqual(
      (step.detail!.attempts as { outcome: string }[]).map((a) => a.outcome),
      ['busy'],
    );
    await smsTo(/We missed your call to \+918045678900/);
    await nothingLeft();
  });

  it('missed-call alert when the agent never answers: CANCEL after ringSeconds', async () => {
    const agentSide = await agent(CANCELED_AGENT);
    const number = await connectFlow({
      numbers: [`sip:agent@127.0.0.1:${agentSide.port}`],
      ringSeconds: 5,
    });
    const result = await runSipp({
      scenario: scenario('caller', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    // The agent's scenario ends only after the CANCEL.
    assert.equal((await agentSide.done).code, 0, 'the agent saw the CANCEL');
    const step = await connectStep(number);
    assert.equal(step.exit, 'no-answer');
    const [attempt] = step.detail!.attempts as { outcome: string; ringSeconds: number }[];
    assert.equal(attempt!.outcome, 'no-answer');
    assert.ok(
      attempt!.ringSeconds >= 4.9 && attempt!.ringSeconds < 8,
      `rang ${attempt!.ringSeconds}`,
    );
    await smsTo(new RegExp(`We missed your call to \\${number}`));
    await nothingLeft();
  });

  it('missed-call alert when the caller gives up while the agent rings: CANCEL, callerHungUp', async () => {
    const agentSide = await agent(CANCELED_AGENT);
    const number = await connectFlow({
      numbers: [`sip:agent@127.0.0.1:${agentSide.port}`],
      ringSeconds: 30,
    });
    const result = await runSipp({
      scenario: scenario(
        'caller',
        `${inviteMessage()}\n${ANSWERED}\n  <pause milliseconds="2000"/>\n${byeMessage()}`,
      ),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    assert.equal((await agentSide.done).code, 0, 'the agent saw the CANCEL');
    const step = await connectStep(number);
    assert.equal(step.exit, 'no-answer');
    assert.equal(step.detail!.callerHungUp, true);
    assert.deepEqual(
      (step.detail!.attempts as { outcome: string }[]).map((a) => a.outcome),
      ['canceled'],
    );
    await smsTo(new RegExp(`We missed your call to \\${number}`));
    await nothingLeft();
  });

  it('simultaneous: the first agent to answer wins, the other is CANCELed', async () => {
    const loser = await agent(CANCELED_AGENT);
    const winner = await agent(
      answeringAgent({ pcap: tonePcap('PCMA', AGENT_TONE, 6), ringMs: 1000 }),
    );
    const number = await connectFlow({
      numbers: [`sip:slow@127.0.0.1:${loser.port}`, `sip:fast@127.0.0.1:${winner.port}`],
      mode: 'simultaneous',
      ringSeconds: 20,
    });
    const result = await runSipp({
      scenario: talkingCaller(tonePcap('PCMA', CALLER_TONE, 6), 3000),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    assert.equal((await winner.done).code, 0);
    assert.equal((await loser.done).code, 0, 'the other agent saw the CANCEL');
    const step = await connectStep(number);
    assert.equal(step.exit, 'completed');
    assert.equal(step.detail!.answeredBy, `sip:fast@127.0.0.1:${winner.port}`);
    assert.deepEqual(
      (step.detail!.attempts as { outcome: string }[]).map((a) => a.outcome),
      ['no-answer', 'completed'],
    );
    await smsTo(/Your reference number is/);
    await nothingLeft();
  });

  it('a trunk that challenges with 407 gets the INVITE again with credentials, once', async () => {
    const trunk = await agent(
      challengingTrunk(answerAndTalk({ pcap: tonePcap('PCMA', AGENT_TONE, 4) })),
      { port: secureTrunkPort },
    );
    const number = await connectFlow({ numbers: ['+919812345678'], trunk: 'secure' });
    const result = await runSipp({
      scenario: talkingCaller(tonePcap('PCMA', CALLER_TONE, 4), 2000),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    assert.equal((await trunk.done).code, 0);
    const answers = trunk.messages().match(/^Proxy-Authorization: .*$/gm) ?? [];
    assert.equal(answers.length, 1, 'one INVITE with credentials');
    assert.ok(
      digestAnswers(answers[0]!, { username: 'acme', password: 's3cret-trunk' }),
      `the digest answers the challenge: ${answers[0]}`,
    );
    const step = await connectStep(number);
    assert.equal(step.exit, 'completed');
    await nothingLeft();
  });

  it('wrong trunk credentials end failed, without a loop of INVITEs', async () => {
    const trunk = await agent(refusingTrunk(), { port: wrongTrunkPort });
    const number = await connectFlow({ numbers: ['+919812345678'], trunk: 'wrong' });
    const result = await runSipp({
      scenario: scenario('caller', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    const step = await connectStep(number);
    assert.equal(step.exit, 'failed');
    assert.equal((await trunk.done).code, 0, 'no third INVITE');
    assert.equal(trunk.messages().match(/^INVITE sip:/gm)?.length, 2);
    await smsTo(new RegExp(`We missed your call to \\${number}`));
    await nothingLeft();
  });

  it('a PCMU caller and a PCMA agent hear each other (rtpengine transcodes)', async () => {
    const agentSide = await agent(
      answeringAgent({ codec: 'PCMA', pcap: tonePcap('PCMA', AGENT_TONE, 6) }),
    );
    const number = await connectFlow({ numbers: [`sip:agent@127.0.0.1:${agentSide.port}`] });
    const callerMedia = await freeUdpPort(true);
    const callerTap = await RtpTap.start(callerMedia);
    const agentTap = await RtpTap.start(agentSide.mediaPort);
    const pcmuOffer = `v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 0 96
      a=rtpmap:0 PCMU/8000
      a=rtpmap:96 telephone-event/8000
      a=ptime:20`;
    const result = await runSipp({
      scenario: talkingCaller(tonePcap('PCMU', CALLER_TONE, 6), 4000, pcmuOffer),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
      mediaPort: callerMedia,
    });
    await (await agentSide).done;
    await callerTap.stop();
    await agentTap.stop();
    assert.equal(result.code, 0, result.output);
    // The caller hears the agent's tone in μ-law, the agent the caller's in A-law.
    const atCaller = callerTap.withTone(0, AGENT_TONE);
    const atAgent = agentTap.withTone(8, CALLER_TONE);
    assert.ok(atCaller >= 80, `agent tone as PCMU at the caller: ${atCaller}`);
    assert.ok(atAgent >= 80, `caller tone as PCMA at the agent: ${atAgent}`);
    assert.equal(callerTap.count(8), 0, 'no A-law reaches the μ-law caller');
    assert.equal((await connectStep(number)).exit, 'completed');
    await nothingLeft();
  });
});

/**
 * Registers softphone user alice with `contact` (digest, answered from the test's side as RFC 2617
 * and RFC 8760 say), from a socket of its own, as a phone whose contact differs from its source.
 */
async function registerAlice(contact: string): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const uri = `sip:127.0.0.1:${callflow.sipPort}`;
  const send = (cseq: number, authorization?: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to REGISTER')), 5000);
      socket.once('message', (data) => {
        clearTimeout(timer);
        resolve(data.toString());
      });
      const lines = [
        `REGISTER ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-reg-${cseq}-${port};rport`,
        'Max-Forwards: 70',
        `From: <sip:alice@127.0.0.1>;tag=reg${port}`,
        'To: <sip:alice@127.0.0.1>',
        `Call-ID: reg-${port}@127.0.0.1`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: <${contact}>`,
        'Expires: 600',
        ...(authorization ? [`Authorization: ${authorization}`] : []),
        'Content-Length: 0',
        '',
        '',
      ];
      socket.send(lines.join('\r\n'), callflow.sipPort, '127.0.0.1');
    });
  const challenge = await send(1);
  assert.match(challenge, /^SIP\/2\.0 401/);
  const header = /^WWW-Authenticate: (.*)$/im.exec(challenge)![1]!;
  const field = (name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(header)![1]!;
  const algorithm = field('algorithm').toUpperCase();
  const hash = (text: string) =>
    createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
      .update(text)
      .digest('hex');
  const realm = field('realm');
  const nonce = field('nonce');
  const cnonce = 'a1b2c3d4';
  const response = hash(
    `${hash(`alice:${realm}:alice-secret-1`)}:${nonce}:00000001:${cnonce}:auth:${hash(`REGISTER:${uri}`)}`,
  );
  const ok = await send(
    2,
    `Digest username="alice", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="${cnonce}"`,
  );
  assert.match(ok, /^SIP\/2\.0 200/);
  socket.close();
}

describe('a registered softphone as the agent', () => {
  it('user:alice is rung at the contact alice registered', async () => {
    const phone = await agent(
      answeringAgent({ codec: 'PCMA', pcap: tonePcap('PCMA', AGENT_TONE, 4) }),
    );
    await registerAlice(`sip:alice@127.0.0.1:${phone.port}`);
    const number = await connectFlow({ numbers: ['user:alice'] });
    const result = await runSipp({
      scenario: talkingCaller(tonePcap('PCMA', CALLER_TONE, 4), 2000),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    assert.equal((await phone.done).code, 0);
    assert.match(phone.messages(), /^INVITE sip:alice@127\.0\.0\.1:\d+ SIP\/2\.0/m);
    const step = await connectStep(number);
    assert.equal(step.exit, 'completed');
    assert.equal(step.detail!.answeredBy, 'user:alice');
    await nothingLeft();
  });
});

describe('recording', () => {
  it('records a conversation: a WAV of both sides about as long as the talk, for its account only', async () => {
    const agentSide = await agent(
      answeringAgent({ codec: 'PCMA', pcap: tonePcap('PCMA', AGENT_TONE, 8) }),
    );
    const number = await connectFlow({
      numbers: [`sip:agent@127.0.0.1:${agentSide.port}`],
      record: true,
    });
    const result = await runSipp({
      scenario: talkingCaller(tonePcap('PCMA', CALLER_TONE, 8), 5000),
      sipPort: callflow.sipPort,
      service: number,
      fields: [CALLER],
    });
    assert.equal(result.code, 0, result.output);
    const step = await connectStep(number);
    assert.equal(step.exit, 'completed');
    const talk = step.detail!.talkSeconds as number;
    const recording = step.detail!.recording as { file: string; seconds: number; url: string };
    assert.ok(recording, 'the step names the recording');
    const call = await lastCall(number);
    assert.equal(recording.url, `/api/v1/calls/${call.sid}/recording`);

    const { server } = callflow;
    const demo = server.demo!;
    const auth = (key: string, token: string) =>
      `Basic ${Buffer.from(`${key}:${token}`).toString('base64')}`;
    const response = await fetch(`${server.url}${recording.url}`, {
      headers: { authorization: auth(demo.apiKey, demo.apiToken) },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    const wav = Buffer.from(await response.arrayBuffer());
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(24), 8000);
    const samples: number[] = [];
    for (let i = 44; i + 1 < wav.length; i += 2) samples.push(wav.readInt16LE(i));
    const seconds = samples.length / 8000;
    assert.ok(Math.abs(seconds - talk) <= 1, `recording ${seconds} s, conversation ${talk} s`);
    // Both sides are in it: 100 ms windows where each tone carries a good share of the energy.
    let both = 0;
    let windows = 0;
    for (let i = 0; i + 800 <= samples.length; i += 800) {
      const window = samples.slice(i, i + 800);
      windows++;
      if (toneShare(window, CALLER_TONE) > 0.2 && toneShare(window, AGENT_TONE) > 0.2) both++;
    }
    assert.ok(both >= windows * 0.8, `windows with both voices: ${both} of ${windows}`);

    // Another account gets 404, as for a call that does not exist.
    const other = await createAccount(server.store, { name: 'Other Co', balancePaise: 1000 });
    const refused = await fetch(`${server.url}${recording.url}`, {
      headers: { authorization: auth(other.apiKey, other.apiToken) },
    });
    assert.equal(refused.status, 404);
    await refused.arrayBuffer();
    const anonymous = await fetch(`${server.url}${recording.url}`);
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();
    await nothingLeft();
  });
});
