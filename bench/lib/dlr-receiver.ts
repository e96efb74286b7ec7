/**
 * The receiver of Kannel's delivery reports in the pipeline benchmark: smsbox calls the request's
 * dlr-url (GET /dlr?s=<type>&i=<index>) when the SMSC's receipt arrives. It counts each index
 * once and remembers when the last new one came, so the benchmark can time "delivered" for
 * Kannel as it does for callflow from its store.
 */

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DlrReceiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Distinct indexes reported delivered (dlr type 1) in [from, to). */
  delivered(from: number, to: number): number;
  /** Epoch ms (high resolution) of the last new delivered report. */
  lastAt(): number;
  /** Reports that were not "delivered", by type. */
  others(): Record<string, number>;
  close(): Promise<void>;
}

export async function startDlrReceiver(capacity: number): Promise<DlrReceiver> {
  const seen = new Uint8Array(capacity);
  let total = 0;
  let last = 0;
  const others: Record<string, number> = {};
  const server = createServer((req, res) => {
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const type = query.get('s') ?? '?';
    const index = Number(query.get('i'));
    if (type === '1' && Number.isInteger(index) && index >= 0 && index < capacity) {
      if (seen[index] === 0) {
        seen[index] = 1;
        total++;
        last = performance.timeOrigin + performance.now();
      }
    } else {
      others[type] = (others[type] ?? 0) + 1;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    delivered(from, to) {
      if (from === 0 && to >= capacity) return total;
      let n = 0;
      for (let i = from; i < Math.min(to, capacity); i++) n += seen[i]!;
      return n;
    },
    lastAt: () => last,
    others: () => ({ ...others }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
