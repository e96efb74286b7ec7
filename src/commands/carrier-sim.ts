/**
 * `callflow carrier-sim`: the carrier simulator on its own, until SIGINT or SIGTERM.
 *
 *   callflow carrier-sim --port 2775 --system-id X --password Y --dlr-delay-ms 500 \
 *     --mix delivered=0.9,undelivered=0.1 --throttle 0 --record FILE [--seed N] \
 *     [--receipt-ids hex|decimal] [--host 127.0.0.1] [--tls-key KEY.pem --tls-cert CERT.pem]
 *
 * Prints one line with the address once listening.
 */
import { readFileSync } from 'node:fs';
import {
  type OutcomeMix,
  RECEIPT_OUTCOMES,
  type ReceiptOutcome,
} from '../carriers/sim/outcomes.ts';
import { CarrierSimulator } from '../carriers/simulator.ts';
import { coerceError } from '../errors.ts';
import { parse, UsageError } from './usage.ts';

/** "delivered=0.9,undelivered=0.1" -> { delivered: 0.9, undelivered: 0.1 }. */
export function parseOutcomeMix(text: string): OutcomeMix {
  const mix: OutcomeMix = {};
  for (const item of text.split(',')) {
    const [name = '', weight = ''] = item.split('=').map((s) => s.trim());
    if (!RECEIPT_OUTCOMES.includes(name as ReceiptOutcome)) {
      throw new UsageError(`--mix: unknown outcome '${name}' (use ${RECEIPT_OUTCOMES.join(', ')})`);
    }
    const value = Number(weight);
    if (weight === '' || !Number.isFinite(value) || value < 0) {
      throw new UsageError(`--mix: ${name} needs a weight >= 0, e.g. ${name}=0.1`);
    }
    mix[name as ReceiptOutcome] = value;
  }
  return mix;
}

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`--${name} must be a whole number >= 0, got '${text}'`);
  }
  return value;
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--${option}: cannot read ${path}: ${coerceError(error).message}`);
  }
}

export async function carrierSimCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'system-id': { type: 'string', default: 'callflow' },
      password: { type: 'string', default: 'simulator' },
      'dlr-delay-ms': { type: 'string' },
      mix: { type: 'string' },
      throttle: { type: 'string' },
      record: { type: 'string' },
      seed: { type: 'string' },
      'receipt-ids': { type: 'string', default: 'hex' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
    },
  });
  const tlsKey = values['tls-key'];
  const tlsCert = values['tls-cert'];
  if ((tlsKey === undefined) !== (tlsCert === undefined)) {
    throw new UsageError('--tls-key and --tls-cert go together (PEM files)');
  }
  const receiptIds = values['receipt-ids'];
  if (receiptIds !== 'hex' && receiptIds !== 'decimal') {
    throw new UsageError(`--receipt-ids must be hex or decimal, got '${receiptIds}'`);
  }
  const simulator = new CarrierSimulator({
    host: values.host,
    port: integer('port', values.port, 2775),
    systemId: values['system-id'],
    password: values.password,
    receiptDelayMs: integer('dlr-delay-ms', values['dlr-delay-ms'], 500),
    outcomes: values.mix === undefined ? { delivered: 1 } : parseOutcomeMix(values.mix),
    maxSubmitsPerSecond: integer('throttle', values.throttle, 0),
    seed: integer('seed', values.seed, 1),
    receiptIdFormat: receiptIds,
    ...(values.record === undefined ? {} : { recordFile: values.record }),
    ...(tlsKey === undefined || tlsCert === undefined
      ? {}
      : { tls: { key: readPem(tlsKey, 'tls-key'), cert: readPem(tlsCert, 'tls-cert') } }),
  });
  const { host, port } = await simulator.start();
  process.stdout.write(
    `carrier simulator listening on ${tlsKey === undefined ? 'smpp' : 'ssmpp'}://${host}:${port} (system_id ${values['system-id']})\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(received);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stderr.write(`carrier simulator: ${signal}, stopping\n`);
  await simulator.stop();
  return 0;
}
