/** The `sip` section of the configuration: the SIP endpoint, who may call, and the media engine. */

import { type Static, Type } from 'typebox';
import { VOICE_NAMES } from '../voices.ts';

const Credentials = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const SipTrunkOutboundSchema = Type.Object(
  {
    /** The trunk's SIP address (IP or host name) that outbound INVITEs go to. */
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 5060 }),
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp' }),
    /** Answered once when the trunk challenges an INVITE with 401 or 407. */
    credentials: Type.Optional(Credentials),
    /**
     * How the trunk wants the dialled number written: `+91` (E.164, `+919812345678`), `91`
     * (`919812345678`) or `0` (national, `09812345678`; other countries `00…`).
     */
    numberFormat: Type.Union([Type.Literal('+91'), Type.Literal('91'), Type.Literal('0')], {
      default: '+91',
    }),
    /** The caller ID presented (From user part); default the caller's own number. */
    callerId: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{3,15}$' })),
  },
  { additionalProperties: false },
);

export const SipTrunkSchema = Type.Object(
  {
    /** Shown in the call log as the call's origin. */
    name: Type.String({ minLength: 1, maxLength: 60 }),
    /** Source addresses or CIDRs the trunk sends from, e.g. ["203.0.113.10", "198.51.100.0/24"]. */
    addresses: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** When set, the trunk must also pass digest authentication with these credentials. */
    credentials: Type.Optional(Credentials),
    /** Region of numbers the trunk writes without a country code. */
    defaultRegion: Type.String({ minLength: 2, maxLength: 2, default: 'IN' }),
    /** Where and how Connect dials numbers through this trunk; absent: inbound only. */
    outbound: Type.Optional(SipTrunkOutboundSchema),
  },
  { additionalProperties: false },
);

export const SipUserSchema = Type.Object(
  {
    /** Digest username of a softphone; also its name in the call log. */
    username: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._+-]+$' }),
    password: Type.String({ minLength: 8, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const SipConfigSchema = Type.Object(
  {
    /** Listen for SIP (UDP and TCP) in `callflow serve` (role all or api). */
    enabled: Type.Boolean({ default: true }),
    /** Address SIP listens on. */
    host: Type.String({ default: '127.0.0.1' }),
    /** SIP port, UDP and TCP; 0 picks a free one. */
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 5060 }),
    /** Address written in Contact and SDP when the host is behind NAT; default `host`. */
    publicAddress: Type.Optional(Type.String({ minLength: 1 })),
    /** How long a call rings (180 Ringing) before callflow answers it, milliseconds. */
    ringMs: Type.Integer({ minimum: 0, maximum: 30_000, default: 0 }),
    /** Calls in progress at once; more are refused with 503 and Retry-After. */
    maxCalls: Type.Integer({ minimum: 1, default: 200 }),
    /**
     * Digest algorithms offered in challenges, most preferred first (RFC 8760). Some phones and
     * sipp read only the first challenge and know MD5 only: put MD5 first for them.
     */
    digestAlgorithms: Type.Array(Type.Union([Type.Literal('SHA-256'), Type.Literal('MD5')]), {
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
      default: ['SHA-256', 'MD5'],
    }),
    /** Digest realm of challenges. */
    realm: Type.String({ minLength: 1, default: 'callflow' }),
    trunks: Type.Array(SipTrunkSchema, { default: [] }),
    users: Type.Array(SipUserSchema, { default: [] }),
    /** Name of the trunk Connect dials out through; none: Connect ends `failed`. */
    outboundTrunk: Type.Optional(Type.String({ minLength: 1 })),
    /** An external rtpengine's NG control address, `host:port`; default: callflow starts one. */
    rtpengine: Type.Optional(Type.String({ pattern: '^[^:\\s]+:\\d{1,5}$' })),
    /** UDP port for an external rtpengine's DTMF events (its --dtmf-log-dest); 0 picks one. */
    dtmfEventsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    /** RTP port range of the rtpengine callflow starts. */
    rtpPorts: Type.Object(
      {
        min: Type.Integer({ minimum: 1024, maximum: 65535, default: 30000 }),
        max: Type.Integer({ minimum: 1024, maximum: 65535, default: 39999 }),
      },
      { default: {} },
    ),
    /** A call whose media stops for this long is hung up, seconds. */
    mediaTimeoutSeconds: Type.Integer({ minimum: 5, default: 30 }),
    /** Text-to-speech voice when the account sets none (espeak-ng voice name). */
    voice: Type.Union(
      VOICE_NAMES.map((v) => Type.Literal(v)),
      { default: 'en-in' },
    ),
    /** New INVITEs accepted per second from one source address; more are dropped (flood). */
    invitesPerSecondPerSource: Type.Integer({ minimum: 1, default: 50 }),
  },
  { default: {} },
);

export type SipConfig = Static<typeof SipConfigSchema>;
export type SipTrunk = Static<typeof SipTrunkSchema>;
export type SipUser = Static<typeof SipUserSchema>;
