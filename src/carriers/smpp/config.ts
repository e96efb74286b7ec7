/**
 * Configuration of one SMPP carrier bind: an entry of the config file's `carriers: [...]`.
 * `SmppCarrierConfigSchema` validates it (the config module composes it into the whole
 * file's schema); `resolveSmppCarrierConfig` fills the defaults the client runs with.
 */
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

/** SMPP 3.4 reserves 0x1400..0x3FFF for vendor-specific TLVs; DLT tags must stay inside it. */
const VendorTag = Type.Union([Type.Integer({ minimum: 0x1400, maximum: 0x3fff }), Type.Null()]);
const AddressByte = Type.Integer({ minimum: 0, maximum: 255 });
const DltId = Type.String({ pattern: '^[0-9]{12,19}$' });

const ReceiptIdFormatSchema = Type.Union(
  [
    Type.Literal('auto'),
    Type.Literal('same'),
    Type.Literal('hex-submit-decimal-receipt'),
    Type.Literal('decimal-submit-hex-receipt'),
  ],
  { description: 'how receipt IDs relate to submit_sm_resp IDs (Kannel msg-id-type)' },
);
export type ReceiptIdFormat = Static<typeof ReceiptIdFormatSchema>;

export const SmppCarrierConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    systemId: Type.String({ description: 'bind system_id (SMPP 3.4 allows 15 characters)' }),
    password: Type.String({ description: 'bind password (SMPP 3.4 allows 8 characters)' }),
    systemType: Type.Optional(Type.String({ default: '' })),
    window: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 10,
        description: 'outstanding submit_sm',
      }),
    ),
    segmentsPerSecond: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, default: 100, description: 'submit_sm per second' }),
    ),
    responseTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 10_000,
        description:
          'ms to wait for any response (submit_sm_resp, bind, enquire_link) and to connect',
      }),
    ),
    enquireLinkSeconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, default: 30, description: 's between enquire_link' }),
    ),
    throttlePauseMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 1000,
        description: 'ms to hold new submits after ESME_RTHROTTLED or ESME_RMSGQFUL',
      }),
    ),
    reconnect: Type.Optional(
      Type.Object(
        {
          minMs: Type.Integer({
            minimum: 1,
            default: 500,
            description: 'first reconnect delay, ms',
          }),
          maxMs: Type.Integer({ minimum: 1, default: 30_000, description: 'longest delay, ms' }),
        },
        { additionalProperties: false },
      ),
    ),
    tls: Type.Optional(Type.Boolean({ default: false })),
    tlsCaFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "PEM file of the certificate authority to trust (or the carrier's self-signed certificate) instead of the system's",
      }),
    ),
    tlsServername: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'the name the certificate must carry, when host is an IP address it does not list',
      }),
    ),
    tlv: Type.Optional(
      Type.Object(
        {
          entityId: Type.Optional(VendorTag),
          templateId: Type.Optional(VendorTag),
          tmChain: Type.Optional(VendorTag),
          stringType: Type.Optional(Type.Union([Type.Literal('octet'), Type.Literal('cstring')])),
        },
        {
          additionalProperties: false,
          description: 'DLT TLV tags (null = do not send) and string type (octet = no NUL)',
        },
      ),
    ),
    tmChain: Type.Optional(
      Type.Array(DltId, {
        description:
          'TM IDs after the PE, ending with the TM-DF; hashed with the PE ID into 0x1402',
      }),
    ),
    sourceTon: Type.Optional(AddressByte),
    sourceNpi: Type.Optional(AddressByte),
    destTon: Type.Optional(AddressByte),
    destNpi: Type.Optional(AddressByte),
    receiptIdFormat: Type.Optional(ReceiptIdFormatSchema),
    pricePaise: Type.Optional(
      Type.Object(
        {
          transactional: Type.Optional(Type.Integer({ minimum: 0 })),
          service: Type.Optional(Type.Integer({ minimum: 0 })),
          promotional: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        {
          additionalProperties: false,
          description: 'what the carrier charges per segment, by SMS type (reports only)',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export type SmppCarrierConfig = Static<typeof SmppCarrierConfigSchema>;

export interface DltTlvTags {
  /** null: not sent. */
  entityId: number | null;
  templateId: number | null;
  tmChain: number | null;
  stringType: 'octet' | 'cstring';
}

/** The configuration with every default applied. TON/NPI left undefined are chosen per address. */
export interface ResolvedSmppCarrierConfig {
  name: string;
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  window: number;
  segmentsPerSecond: number;
  responseTimeoutMs: number;
  enquireLinkSeconds: number;
  throttlePauseMs: number;
  reconnect: { minMs: number; maxMs: number };
  tls: boolean;
  tlsCaFile: string | undefined;
  tlsServername: string | undefined;
  tlv: DltTlvTags;
  tmChain: string[];
  sourceTon: number | undefined;
  sourceNpi: number | undefined;
  destTon: number;
  destNpi: number;
  receiptIdFormat: ReceiptIdFormat;
}

export const SMPP_CARRIER_DEFAULTS = {
  systemType: '',
  window: 10,
  segmentsPerSecond: 100,
  responseTimeoutMs: 10_000,
  enquireLinkSeconds: 30,
  throttlePauseMs: 1000,
  reconnect: { minMs: 500, maxMs: 30_000 },
  tls: false,
  tlv: { entityId: 0x1400, templateId: 0x1401, tmChain: 0x1402, stringType: 'octet' },
  destTon: 1,
  destNpi: 1,
  receiptIdFormat: 'auto',
} as const satisfies Partial<ResolvedSmppCarrierConfig>;

/** Validates and applies defaults; throws an Error that says which setting to fix. */
export function resolveSmppCarrierConfig(config: SmppCarrierConfig): ResolvedSmppCarrierConfig {
  const problems = [...Value.Errors(SmppCarrierConfigSchema, config)]
    .filter((error) => error.keyword !== 'boolean')
    .map((error) => `${error.instancePath || '/'} ${error.message}`);
  const d = SMPP_CARRIER_DEFAULTS;
  const reconnect = { ...d.reconnect, ...config.reconnect };
  if (reconnect.minMs > reconnect.maxMs) problems.push('/reconnect minMs must be <= maxMs');
  const tlv: DltTlvTags = { ...d.tlv, ...config.tlv };
  const tags = [tlv.entityId, tlv.templateId, tlv.tmChain].filter((tag) => tag !== null);
  if (new Set(tags).size !== tags.length) problems.push('/tlv the DLT tags must differ');
  if (
    config.tls !== true &&
    (config.tlsCaFile !== undefined || config.tlsServername !== undefined)
  ) {
    problems.push('/tls must be true for tlsCaFile or tlsServername');
  }
  if (problems.length > 0) {
    const name = typeof config?.name === 'string' ? config.name : '?';
    throw new Error(`carrier ${name}: invalid configuration: ${problems.join('; ')}`);
  }
  return {
    name: config.name,
    host: config.host,
    port: config.port,
    systemId: config.systemId,
    password: config.password,
    systemType: config.systemType ?? d.systemType,
    window: config.window ?? d.window,
    segmentsPerSecond: config.segmentsPerSecond ?? d.segmentsPerSecond,
    responseTimeoutMs: config.responseTimeoutMs ?? d.responseTimeoutMs,
    enquireLinkSeconds: config.enquireLinkSeconds ?? d.enquireLinkSeconds,
    throttlePauseMs: config.throttlePauseMs ?? d.throttlePauseMs,
    reconnect,
    tls: config.tls ?? d.tls,
    tlsCaFile: config.tlsCaFile,
    tlsServername: config.tlsServername,
    tlv,
    tmChain: config.tmChain ?? [],
    sourceTon: config.sourceTon,
    sourceNpi: config.sourceNpi,
    destTon: config.destTon ?? d.destTon,
    destNpi: config.destNpi ?? d.destNpi,
    receiptIdFormat: config.receiptIdFormat ?? d.receiptIdFormat,
  };
}
