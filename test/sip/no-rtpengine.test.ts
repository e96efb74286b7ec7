/**
 * Without rtpengine, `callflow serve --demo` (what `npm start` runs) still starts everything else;
 * its banner and /readyz say real calls are off and give the install command, and an INVITE is
 * refused 503 with Retry-After instead of being answered without audio.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { eventually, inviteMessage, runSipp, scenario } from './helpers.ts';

test('without rtpengine the demo starts, says real calls are off, and refuses calls with 503', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-nortp-'));
  // PATH with node only: no rtpengine (nor espeak-ng, sox) to be found.
  const child = spawn(process.execPath, ['src/cli.ts', 'serve', '--demo', '--port', '0'], {
    cwd: new URL('../../', import.meta.url),
    env: { PATH: dirname(process.execPath), DATA_DIR: dataDir, SIP_PORT: '0', HOME: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  await eventually(() => out.includes('press Ctrl+C to stop'), 30_000, 'the banner');
  assert.match(out, /real calls \(SIP, UDP and TCP\) on 127\.0\.0\.1:(\d+)/);
  assert.match(out, /real calls are off: .*apt-get install rtpengine-daemon/);
  const sipPort = Number(/real calls \(SIP, UDP and TCP\) on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const url = /callflow is running at (http:\/\/\S+)/.exec(out)![1]!;

  const ready = (await (await fetch(`${url}/readyz`)).json()) as {
    ready: boolean;
    sip?: { listening: string; realCalls: boolean; reason?: string };
  };
  assert.equal(ready.ready, true, 'SMS and the rest are ready');
  assert.equal(ready.sip?.realCalls, false);
  assert.equal(ready.sip?.listening, `sip:127.0.0.1:${sipPort}`);
  assert.match(ready.sip?.reason ?? '', /apt-get install rtpengine-daemon/);

  const refused = scenario(
    'no media',
    `${inviteMessage()}
  <recv response="100" optional="true"/>
  <recv response="503">
    <action>
      <ereg regexp="60" search_in="hdr" header="Retry-After:" check_it="true" assign_to="retry"/>
    </action>
  </recv>
  <Reference variables="retry"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>`,
  );
  const result = await runSipp({ scenario: refused, sipPort, fields: ['9876500601'] });
  assert.equal(result.code, 0, result.output);
});
