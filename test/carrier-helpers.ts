/** Shared set-up of the carrier integration tests: a simulator and a client over loopback. */
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import smpp, { type Session } from 'smpp';
import {
  CarrierSimulator,
  type CarrierSubmit,
  createCarrier,
  type SimulatorOptions,
  type SmppCarrier,
  type SmppCarrierConfig,
} from '../src/carriers/index.ts';

export const SYSTEM_ID = 'acme';
export const PASSWORD = 'secret';

export async function startSimulator(
  t: TestContext,
  options: Partial<SimulatorOptions> = {},
): Promise<{ sim: CarrierSimulator; port: number }> {
  const sim = new CarrierSimulator({ systemId: SYSTEM_ID, password: PASSWORD, ...options });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  return { sim, port };
}

/** A started client; stopped after the test. Short timers so failures show quickly. */
export async function startCarrier(
  t: TestContext,
  port: number,
  config: Partial<SmppCarrierConfig> = {},
): Promise<SmppCarrier> {
  const carrier = createCarrier({
    name: 'sim',
    host: '127.0.0.1',
    port,
    systemId: SYSTEM_ID,
    password: PASSWORD,
    responseTimeoutMs: 2000,
    reconnect: { minMs: 50, maxMs: 200 },
    ...config,
  });
  t.after(() => carrier.stop());
  await carrier.start();
  return carrier;
}

/** A bare SMPP server on loopback that plays a carrier the simulator cannot; returns its port. */
export async function startSmppServer(
  t: TestContext,
  onSession: (session: Session) => void,
): Promise<number> {
  const server = smpp.createServer({}, (session) => {
    session.on('error', () => {});
    onSession(session);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const session of server.sessions) session.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

export function sms(more: Partial<CarrierSubmit> = {}): CarrierSubmit {
  return {
    messageId: 'SM0001',
    to: '+919876543210',
    senderId: 'ACMECO',
    encoding: 'GSM-7',
    parts: ['Your OTP is 4821'],
    ...more,
  };
}

/** Polls until `probe` returns a truthy value; fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
