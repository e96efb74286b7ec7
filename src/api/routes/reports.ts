/**
 * SMS reports: GET /api/v1/reports/sms/summary (totals per day, hour, status, reason, template,
 * sender, flow or SMS type, computed in the database) and GET /api/v1/reports/sms.csv (the SMS
 * Detailed report, Exotel's columns and ours, streamed with backpressure in constant memory).
 */

import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CallflowError } from '../../errors.ts';
import { smsCsv } from '../../reports/sms-csv.ts';
import { MAX_HOURLY_DAYS, smsSummary, summaryPeriod } from '../../reports/summary.ts';
import { normalizeNumber } from '../../sms/index.ts';
import { SUMMARY_GROUPS } from '../../store/summary.ts';
import type { Account, MessageFilter } from '../../store/types.ts';
import { principal } from '../plugins/auth.ts';
import {
  errorResponses,
  MESSAGE_STATUSES,
  NullableInteger,
  NullableString,
  SmsTypeSchema,
  StringEnum,
} from '../schemas.ts';
import type { RouteContext } from './context.ts';

const tags = ['Reports'];

/** The filters of GET /api/v1/sms, without paging. */
const FilterQuery = {
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  status: Type.Optional(StringEnum(MESSAGE_STATUSES)),
  to: Type.Optional(Type.String({ description: 'Recipient; normalised to E.164' })),
  from: Type.Optional(Type.String({ description: 'Sender ID' })),
  callSid: Type.Optional(Type.String()),
  flowId: Type.Optional(Type.String()),
  smsType: Type.Optional(SmsTypeSchema),
  templateId: Type.Optional(Type.String({ description: 'DLT template ID' })),
};

type FilterParams = {
  status?: MessageFilter['status'];
  to?: string;
  from?: string;
  callSid?: string;
  flowId?: string;
  smsType?: MessageFilter['smsType'];
  templateId?: string;
};

function toFilter(q: FilterParams): MessageFilter {
  const filter: MessageFilter = {};
  if (q.status !== undefined) filter.status = q.status;
  if (q.to !== undefined) {
    const to = normalizeNumber(q.to);
    if (to === undefined) {
      throw new CallflowError('INVALID_NUMBER', `${q.to} is not a phone number.`, { field: 'to' });
    }
    filter.to = to;
  }
  if (q.from !== undefined) filter.from = q.from;
  if (q.callSid !== undefined) filter.callSid = q.callSid;
  if (q.flowId !== undefined) filter.flowId = q.flowId;
  if (q.smsType !== undefined) filter.smsType = q.smsType;
  if (q.templateId !== undefined) filter.dltTemplateId = q.templateId;
  return filter;
}

const SummaryGroup = Type.Object({
  key: NullableString({
    description:
      'day: YYYY-MM-DD, hour: YYYY-MM-DDTHH:00 (local to the account); otherwise the value, null for none',
  }),
  messages: Type.Integer(),
  segments: Type.Integer(),
  costPaise: Type.Integer({ description: 'Debited, net of refunds' }),
  cost: Type.String({ description: 'Rupees, e.g. "12.50"' }),
  delivered: Type.Integer(),
  undelivered: Type.Integer(),
  failed: Type.Integer(),
  pending: Type.Integer({ description: 'Queued, sending or submitted' }),
  failedByReason: Type.Record(Type.String(), Type.Integer(), {
    description: 'Reason codes of failed and undelivered messages',
  }),
  deliveryRate: Type.Unsafe<number | null>({
    type: ['number', 'null'],
    description: 'delivered / (delivered + undelivered + failed); null before any outcome',
  }),
  latency: Type.Object(
    {
      medianMs: NullableInteger(),
      p95Ms: NullableInteger(),
    },
    { description: 'Queued to delivered, nearest-rank percentiles' },
  ),
});

const SmsSummaryResource = Type.Object(
  {
    since: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
    timeZone: Type.String({ description: "The account's zone, for day and hour groups" }),
    groupBy: NullableString(),
    total: SummaryGroup,
    groups: Type.Array(SummaryGroup),
  },
  { title: 'SmsSummary' },
);

const DAY = 86_400_000;

export const reportRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  async function account(sid: string): Promise<Account> {
    const found = await ctx.store.accounts.get(sid);
    if (found === undefined) throw new CallflowError('NOT_FOUND', 'No such account.');
    return found;
  }

  function period(q: { since?: string; until?: string }) {
    const p = summaryPeriod(
      ctx.clock(),
      q.since === undefined ? undefined : new Date(q.since),
      q.until === undefined ? undefined : new Date(q.until),
    );
    if (p.since >= p.until) {
      throw new CallflowError('VALIDATION_FAILED', 'since must be before until.', {
        field: 'since',
      });
    }
    return p;
  }

  app.get(
    '/reports/sms/summary',
    {
      schema: {
        tags,
        summary: 'SMS totals, outcomes, failures by reason, delivery rate and latency, by group',
        description:
          `Over since ≤ createdAt < until (default: the 7 days before now). groupBy day and hour use ` +
          `the account's time zone; hour covers at most ${MAX_HOURLY_DAYS} days. Without groupBy, ` +
          '`groups` is empty and `total` has everything.',
        querystring: Type.Object({
          ...FilterQuery,
          groupBy: Type.Optional(StringEnum(SUMMARY_GROUPS)),
        }),
        response: { 200: SmsSummaryResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const q = request.query;
      const { since, until } = period(q);
      const groupBy = q.groupBy ?? null;
      if (groupBy === 'hour' && until.getTime() - since.getTime() > MAX_HOURLY_DAYS * DAY) {
        throw new CallflowError(
          'VALIDATION_FAILED',
          `groupBy=hour covers at most ${MAX_HOURLY_DAYS} days; narrow since and until.`,
          { field: 'groupBy' },
        );
      }
      return smsSummary(ctx.store, await account(sid), {
        since,
        until,
        groupBy,
        filter: toFilter(q),
      });
    },
  );

  app.get(
    '/reports/sms.csv',
    {
      schema: {
        tags,
        summary: 'The SMS Detailed report as CSV (Exotel columns and ours), streamed',
        description:
          'Columns: Id, Direction, Type, From, To, Body, Status, Time, Price, DetailedStatusCode, ' +
          'DetailedStatus, DateSent, CustomField, NumberOfUnits, EncodingType, DltEntityId, ' +
          'DltTemplateId, ReasonCode, CallSid, FlowId, Carrier. Times are YYYY-MM-DD HH:mm:ss in the ' +
          "account's zone; newest first. With excel=true (default) the file starts with a UTF-8 " +
          "byte-order mark and DLT IDs end with ' so Excel keeps their digits, as in Exotel's report.",
        produces: ['text/csv'],
        querystring: Type.Object({
          ...FilterQuery,
          excel: Type.Optional(Type.Boolean({ default: true })),
        }),
        response: {
          200: {
            description: 'The report, one row per message',
            // Typed as the stream the handler sends; documented as the text it becomes.
            content: { 'text/csv': { schema: Type.Unsafe<Readable>({ type: 'string' }) } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const q = request.query;
      const filter = toFilter(q);
      if (q.since !== undefined) filter.since = new Date(q.since);
      if (q.until !== undefined) filter.until = new Date(q.until);
      const acct = await account(sid);
      const day = ctx.clock().toISOString().slice(0, 10).replaceAll('-', '');
      const stream = Readable.from(smsCsv(ctx.store, acct, filter, { excel: q.excel !== false }), {
        objectMode: false,
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sms-${day}.csv"`)
        .send(stream);
    },
  );
};
