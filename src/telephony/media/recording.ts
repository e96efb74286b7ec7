/**
 * Call recordings. rtpengine records a session with its `pcap` method (the Debian package's
 * recording daemon needs the kernel module's /proc interface, which a userspace rtpengine does
 * not have): one pcap file of the RTP it relays, in `<spool>/pcaps`. When a recorded conversation
 * ends, callflow turns that pcap into a WAV of both sides: each RTP stream that rtpengine sent
 * (toward the caller and toward the agent) is decoded from G.711, placed on the timeline by its
 * capture time, and the two are mixed into 8 kHz 16-bit mono. Recordings are kept under
 * `DATA_DIR/recordings` and deleted after `recordings.retentionDays`.
 */

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const RATE = 8000;
/** Longest recording converted, seconds (a pcap longer than this is cut). */
const MAX_SECONDS = 4 * 3600;

/** Where recordings are kept. */
export function recordingsDir(dataDir: string): string {
  return join(dataDir, 'recordings');
}

/** The spool rtpengine records into, under the recordings directory. */
export function recordingSpool(dataDir: string): string {
  return join(recordingsDir(dataDir), 'spool');
}

/** The WAV file of a call's recording, named after the SIP Call-ID (hashed: no path characters). */
export function recordingFile(recordingsDir: string, sipCallId: string): string {
  const name = createHash('sha256').update(sipCallId).digest('hex').slice(0, 32);
  return join(recordingsDir, `${name}.wav`);
}

/**
 * Converts the pcap rtpengine wrote for `sipCallId` into the call's WAV; resolves with its
 * length in seconds, or undefined when there is no pcap (the recording never started).
 */
export async function finishRecording(
  recordingsDir: string,
  sipCallId: string,
): Promise<{ file: string; seconds: number } | undefined> {
  const pcaps = join(recordingsDir, 'spool', 'pcaps');
  let names: string[];
  try {
    names = await readdir(pcaps);
  } catch {
    return undefined;
  }
  // rtpengine names the file `<URL-escaped Call-ID>-<random>.pcap`.
  const prefix = `${encodeURIComponent(sipCallId)}-`;
  const matching = names.filter((n) => n.endsWith('.pcap') && n.startsWith(prefix));
  if (matching.length === 0) return undefined;
  await settled(matching.map((n) => join(pcaps, n)));
  const streams = new Map<string, { at: number; timestamp: number; samples: Int16Array }[]>();
  for (const name of matching) {
    const data = await readFile(join(pcaps, name));
    for (const packet of readPcap(data)) {
      const key = `${packet.destination}|${packet.ssrc}`;
      let list = streams.get(key);
      if (!list) {
        list = [];
        streams.set(key, list);
      }
      // A stream is laid out by its RTP timestamps (contiguous audio), anchored at the capture
      // time of its first packet: capture times alone jitter by milliseconds.
      const first = list[0];
      const at = first ? first.at + ((packet.timestamp - first.timestamp) >>> 0) / RATE : packet.at;
      list.push({ at, timestamp: packet.timestamp, samples: packet.samples });
    }
  }
  const wav = mixToWav(streams);
  const file = recordingFile(recordingsDir, sipCallId);
  await mkdir(recordingsDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, wav.bytes);
  await rename(temp, file);
  await Promise.all(matching.map((n) => rm(join(pcaps, n), { force: true })));
  return { file, seconds: wav.seconds };
}

/** Waits until rtpengine has stopped writing the files (their sizes hold still), at most 2 s. */
async function settled(files: string[]): Promise<void> {
  let last = '';
  for (let i = 0; i < 20; i++) {
    const sizes = (
      await Promise.all(
        files.map((f) =>
          stat(f).then(
            (s) => s.size,
            () => -1,
          ),
        ),
      )
    ).join();
    if (sizes === last) return;
    last = sizes;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface RtpPacket {
  /** Capture time, seconds. */
  at: number;
  destination: string;
  ssrc: number;
  /** RTP timestamp, 8 kHz units. */
  timestamp: number;
  samples: Int16Array;
}

/** The G.711 RTP packets of a pcap (link types Ethernet, raw IP, Linux cooked). */
export function* readPcap(data: Buffer): Generator<RtpPacket> {
  if (data.length < 24) return;
  const magic = data.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && data.readUInt32BE(0) !== 0xa1b2c3d4 && data.readUInt32BE(0) !== 0xa1b23c4d) return;
  const nanos = magic === 0xa1b23c4d || data.readUInt32BE(0) === 0xa1b23c4d;
  const u32 = (offset: number) => (little ? data.readUInt32LE(offset) : data.readUInt32BE(offset));
  const linkType = u32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : 0;
  let offset = 24;
  while (offset + 16 <= data.length) {
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const length = u32(offset + 8);
    const start = offset + 16;
    offset = start + length;
    if (offset > data.length) break;
    const ip = start + linkHeader;
    if (data[ip]! >> 4 !== 4) continue;
    const ipHeader = (data[ip]! & 0x0f) * 4;
    if (data[ip + 9] !== 17) continue;
    const udp = ip + ipHeader;
    const rtp = udp + 8;
    if (rtp + 12 > offset || data[rtp]! >> 6 !== 2) continue;
    const payloadType = data[rtp + 1]! & 0x7f;
    if (payloadType !== 0 && payloadType !== 8) continue;
    const csrc = (data[rtp]! & 0x0f) * 4;
    const payload = data.subarray(rtp + 12 + csrc, offset);
    const decode = payloadType === 0 ? ulawToLinear : alawToLinear;
    const samples = new Int16Array(payload.length);
    for (let i = 0; i < payload.length; i++) samples[i] = decode(payload[i]!);
    yield {
      at: seconds + fraction / (nanos ? 1e9 : 1e6),
      destination: `${data.subarray(ip + 16, ip + 20).join('.')}:${data.readUInt16BE(udp + 2)}`,
      ssrc: data.readUInt32BE(rtp + 8),
      timestamp: data.readUInt32BE(rtp + 4),
      samples,
    };
  }
}

function mixToWav(streams: Map<string, { at: number; samples: Int16Array }[]>): {
  bytes: Buffer;
  seconds: number;
} {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const packets of streams.values()) {
    for (const p of packets) {
      first = Math.min(first, p.at);
      last = Math.max(last, p.at + p.samples.length / RATE);
    }
  }
  const seconds = Number.isFinite(first) ? Math.min(MAX_SECONDS, last - first) : 0;
  const mix = new Int32Array(Math.ceil(seconds * RATE));
  for (const packets of streams.values()) {
    for (const p of packets) {
      const at = Math.round((p.at - first) * RATE);
      for (let i = 0; i < p.samples.length && at + i < mix.length; i++)
        mix[at + i]! += p.samples[i]!;
    }
  }
  const data = Buffer.alloc(mix.length * 2);
  for (let i = 0; i < mix.length; i++)
    data.writeInt16LE(Math.max(-32768, Math.min(32767, mix[i]!)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return { bytes: Buffer.concat([header, data]), seconds: Math.round(seconds * 10) / 10 };
}

/** Deletes recordings older than `retentionDays`; resolves with how many went. */
export async function pruneRecordings(
  recordingsDir: string,
  retentionDays: number,
  now = Date.now(),
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(recordingsDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith('.wav')) continue;
    const file = join(recordingsDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > retentionDays * 86_400_000) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}

function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}
