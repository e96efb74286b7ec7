/** Reads RTP packets out of a libpcap file written by `tcpdump -w` on Linux loopback (Ethernet framing). */

import { readFileSync } from 'node:fs';

export interface CapturedRtp {
  /** Capture time, microseconds. */
  atUs: number;
  dstPort: number;
  payloadType: number;
  sequence: number;
  timestamp: number;
}

export function readRtp(path: string): CapturedRtp[] {
  const file = readFileSync(path);
  if (file.length < 24) return [];
  const magic = file.readUInt32LE(0);
  const nanos = magic === 0xa1b23c4d;
  if (magic !== 0xa1b2c3d4 && !nanos) throw new Error(`${path}: not a little-endian pcap file`);
  const linkType = file.readUInt32LE(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : 0; // Ethernet, Linux cooked
  const packets: CapturedRtp[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const seconds = file.readUInt32LE(at);
    const fraction = file.readUInt32LE(at + 4);
    const captured = file.readUInt32LE(at + 8);
    const frame = file.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    if (udp.length < 8 + 12) continue;
    const rtp = udp.subarray(8);
    if (rtp[0]! >> 6 !== 2) continue;
    packets.push({
      atUs: seconds * 1e6 + (nanos ? fraction / 1000 : fraction),
      dstPort: udp.readUInt16BE(2),
      payloadType: rtp[1]! & 0x7f,
      sequence: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
    });
  }
  return packets;
}

/**
 * Inter-packet jitter as a caller hears it: for each pair of consecutive packets of one stream
 * that are consecutive in the audio (sequence + 1, timestamp + 160, i.e. 20 ms apart at the
 * sender), how far their arrival gap was from 20 ms, in ms.
 */
export function interPacketJitterMs(packets: CapturedRtp[]): number[] {
  const last = new Map<number, CapturedRtp>();
  const deviations: number[] = [];
  for (const packet of packets) {
    if (packet.payloadType !== 0 && packet.payloadType !== 8) continue;
    const before = last.get(packet.dstPort);
    last.set(packet.dstPort, packet);
    if (!before) continue;
    if (((before.sequence + 1) & 0xffff) !== packet.sequence) continue;
    if ((before.timestamp + 160) >>> 0 !== packet.timestamp) continue;
    deviations.push(Math.abs((packet.atUs - before.atUs) / 1000 - 20));
  }
  return deviations;
}
