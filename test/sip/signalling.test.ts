/**
 * SIP signalling against sipp: refusals (404, 480, 488, 403), CANCEL before the answer, a
 * retransmitted INVITE that runs one call, digest authentication of a softphone user, TCP.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ANSWERED,
  ackMessage,
  byeMessage,
  type CallflowUnderTest,
  eventually,
  inviteMessage,
  RECEIVE_BYE,
  runSipp,
  scenario,
  startCallflow,
} from './helpers.ts';

const NO_FLOW_NUMBER = '+918045678921';
const USER = { username: 'alice', password: 'wonderland-7' };

let callflow: CallflowUnderTest;
let accountSid: string;

before(async () => {
  // sipp reads only the first challenge and computes MD5 only; SHA-256 is covered by the unit tests.
  callflow = await startCallflow({ users: [USER], digestAlgorithms: ['MD5'], ringMs: 1000 });
  accountSid = callflow.server.demo!.accountSid;
  await callflow.server.flows!.assignNumber(accountSid, NO_FLOW_NUMBER, null);
});
after(() => callflow?.stop());

/** A scenario that expects one final error response to its INVITE, and ACKs it. */
function refused(status: number, offer?: string): string {
  return scenario(
    `refused ${status}`,
    `${inviteMessage(offer === undefined ? {} : { offer })}
  <recv response="100" optional="true"/>
  <recv response="${status}"/>
${ackMessage(1, 3)}`,
  );
}

async function callsFrom(from: string) {
  const page = await callflow.server.flows!.listCalls(accountSid, {}, null, 100);
  return page.items.filter((c) => c.from === from);
}

async function nothingLeft() {
  const { sip } = callflow.server;
  await eventually(
    async () => (await sip!.media.sessions()).length === 0,
    5000,
    'no rtpengine session',
  );
  await eventually(
    () => sip!.calls.stats().timers === 0 && sip!.calls.stats().calls === 0,
    5000,
    'no call or timer',
  );
}

describe('refusals', () => {
  it('404 for a number that is no ExoPhone (national form of a made-up number)', async () => {
    const r = await runSipp({
      scenario: refused(404),
      sipPort: callflow.sipPort,
      service: '08099999999',
      fields: ['9876500101'],
    });
    assert.equal(r.code, 0, r.output);
  });

  it('480 for an ExoPhone without a live flow', async () => {
    const r = await runSipp({
      scenario: refused(480),
      sipPort: callflow.sipPort,
      service: NO_FLOW_NUMBER,
      fields: ['9876500102'],
    });
    assert.equal(r.code, 0, r.output);
  });

  it('488 for an offer without PCMA or PCMU', async () => {
    const offer = `v=0
      o=user1 53655765 2353687637 IN IP4 [local_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 18
      a=rtpmap:18 G729/8000`;
    const r = await runSipp({
      scenario: refused(488, offer),
      sipPort: callflow.sipPort,
      fields: ['9876500103'],
    });
    assert.equal(r.code, 0, r.output);
  });

  it('403 for a source that is no trunk and gives no valid credentials', async () => {
    const withBadAuth = scenario(
      'bad credentials',
      `${inviteMessage()}
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
${ackMessage(1, 3)}
${inviteMessage({ extraHeaders: '[authentication username=alice password=not-the-password]' }).replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE')}
  <recv response="100" optional="true"/>
  <recv response="403"/>
${ackMessage(2, 3)}`,
    );
    const r = await runSipp({
      scenario: withBadAuth,
      sipPort: callflow.sipPort,
      localAddress: '127.0.0.2',
      fields: ['9876500104'],
    });
    assert.equal(r.code, 0, r.output);
    assert.equal((await callsFrom('+919876500104')).length, 0);
  });
});

describe('calls', () => {
  it('CANCEL before the answer: 200 for the CANCEL, 487 for the INVITE, no call left', async () => {
    const body = `${inviteMessage()}
  <recv response="100"/>
  <recv response="180"/>
  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
  <recv response="487"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-6]
      From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>`;
    const r = await runSipp({
      scenario: scenario('cancel', body),
      sipPort: callflow.sipPort,
      fields: ['9876500201'],
    });
    assert.equal(r.code, 0, r.output);
    assert.equal((await callsFrom('+919876500201')).length, 0);
    await nothingLeft();
  });

  it('a retransmitted INVITE is answered from its transaction and runs one call', async () => {
    const invite = inviteMessage();
    const again = invite.replace('branch=[branch]', 'branch=[branch-2]');
    const body = `${invite}
  <recv response="100"/>
${again}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
${ackMessage()}
  <pause milliseconds="1000"/>
${byeMessage()}`;
    const r = await runSipp({
      scenario: scenario('retransmitted invite', body),
      sipPort: callflow.sipPort,
      fields: ['9876500202'],
    });
    assert.equal(r.code, 0, r.output);
    const calls = await eventually(
      async () => {
        const found = await callsFrom('+919876500202');
        return found.length > 0 && found.every((c) => c.status === 'completed') ? found : undefined;
      },
      15_000,
      'the call to end',
    );
    assert.equal(calls.length, 1);
    await nothingLeft();
  });

  it('a softphone user authenticated by digest gets the call answered', async () => {
    const body = `${inviteMessage()}
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
${ackMessage(1, 3)}
${inviteMessage({ extraHeaders: `[authentication username=${USER.username} password=${USER.password}]` }).replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE')}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
${ackMessage(2)}
  <pause milliseconds="1000"/>
${byeMessage(3)}`;
    const r = await runSipp({
      scenario: scenario('digest user', body),
      sipPort: callflow.sipPort,
      localAddress: '127.0.0.2',
      fields: ['9876500203'],
    });
    assert.equal(r.code, 0, r.output);
    const [call] = await eventually(
      async () => {
        const found = await callsFrom('+919876500203');
        return found.length > 0 && found[0]!.status === 'completed' ? found : undefined;
      },
      15_000,
      'the call to end',
    );
    assert.deepEqual([call!.origin?.via, call!.origin?.name], ['user', 'alice']);
    await nothingLeft();
  });

  it('takes a call over TCP', async () => {
    const body = `${inviteMessage()}
${ANSWERED}
${RECEIVE_BYE}`;
    const r = await runSipp({
      scenario: scenario('tcp', body),
      sipPort: callflow.sipPort,
      transport: 't1',
      fields: ['9876500204'],
    });
    assert.equal(r.code, 0, r.output);
    await eventually(
      async () => (await callsFrom('+919876500204'))[0]?.status === 'completed',
      15_000,
      'the call to end',
    );
    await nothingLeft();
  });

  it('registers a softphone user with digest authentication', async () => {
    const register = (cseq: number, auth = '') => `  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${USER.username}@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${USER.username}@[remote_ip]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:${USER.username}@[local_ip]:[local_port]>
      Expires: 300
      Max-Forwards: 70${auth ? `\n      ${auth}` : ''}
      Content-Length: 0
    ]]>
  </send>`;
    const body = `${register(1)}
  <recv response="401" auth="true"/>
${register(2, `[authentication username=${USER.username} password=${USER.password}]`)}
  <recv response="200">
    <action>
      <ereg regexp="expires=300" search_in="hdr" header="Contact:" check_it="true" assign_to="expires"/>
    </action>
  </recv>
  <Reference variables="expires"/>`;
    const r = await runSipp({
      scenario: scenario('register', body),
      sipPort: callflow.sipPort,
      localAddress: '127.0.0.2',
    });
    assert.equal(r.code, 0, r.output);
  });
});
