/**
 * CSV imports: POST /api/v1/dlt/templates/import (DLT portal exports), POST /api/v1/dnd/import
 * (DND preferences) and POST /api/v1/dnd/consents/import (consents). The file comes as the body (Content-Type: text/csv) or as the `file` part of
 * multipart/form-data, and is read as a stream: never buffered whole.
 *
 * All or nothing: 200 with counts when the file was imported; 400 with every bad row (line, field,
 * code, message) in `details` when any row is bad, and then nothing was written. `dryRun=true`
 * checks and answers 200 with the same report, writing nothing.
 */

import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { importConsents } from '../../bulk-imports/consents.ts';
import { importDnd } from '../../bulk-imports/dnd.ts';
import type { ImportProblem } from '../../bulk-imports/report.ts';
import { importTemplates } from '../../bulk-imports/templates.ts';
import { CallflowError, coerceError, type ReasonCode } from '../../errors.ts';
import { LintFindingSchema } from '../dlt-resources.ts';
import { principal } from '../plugins/auth.ts';
import { errorResponses, StringEnum } from '../schemas.ts';
import type { RouteContext } from './context.ts';

/** Largest file accepted, bytes: a DND file of a few million numbers. */
export const IMPORT_MAX_BYTES = 128 * 1024 * 1024;

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'];

const Problem = Type.Object({
  line: Type.Integer({ description: 'Line of the file where the row starts (the header is 1)' }),
  field: Type.Optional(
    Type.String({ description: 'The field at fault: templateId, content, number, ...' }),
  ),
  code: Type.String({ description: 'Reason code' }),
  message: Type.String(),
});

const Report = {
  imported: Type.Boolean({ description: 'False when nothing was written (a bad row, or dryRun)' }),
  rows: Type.Integer({ description: 'Data rows read (blank lines are skipped)' }),
  invalidRows: Type.Integer(),
  errors: Type.Array(Problem, { description: 'Every problem of every bad row, up to 1,000' }),
  errorsTruncated: Type.Boolean(),
  ignoredColumns: Type.Array(Type.String(), { description: 'Headers that matched no field' }),
};

const TemplateImportReport = Type.Object(
  {
    ...Report,
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer({ description: 'Rows equal to the stored template: not written' }),
    templates: Type.Array(
      Type.Object({
        line: Type.Integer(),
        templateId: Type.String(),
        entityId: Type.String(),
        name: Type.String(),
        category: Type.String(),
        status: Type.String(),
        action: StringEnum(['created', 'updated', 'unchanged'] as const),
        lint: Type.Array(LintFindingSchema),
      }),
    ),
  },
  { title: 'TemplateImportReport' },
);

const DndImportReport = Type.Object(Report, { title: 'DndImportReport' });
const ConsentImportReport = Type.Object(Report, { title: 'ConsentImportReport' });

const DryRun = Type.Optional(
  Type.Boolean({ default: false, description: 'Check the file and report, writing nothing' }),
);

const consumes = ['text/csv', 'multipart/form-data'];

/** Documents the upload; the route reads the stream itself, so nothing is validated here. */
const CsvFile = Type.Unsafe<unknown>({
  description:
    'The CSV file (UTF-8, a header row, comma, semicolon or tab separated), as the body with ' +
    'Content-Type text/csv, or as the "file" part of multipart/form-data',
});

/**
 * An error of the multipart parser: the form is malformed (no boundary, cut short). Errors of the
 * plugin itself carry their HTTP status (too many files, too large) and are kept.
 */
function unreadable(error: unknown): unknown {
  if (error instanceof CallflowError || typeof (error as FastifyError).statusCode === 'number') {
    return error;
  }
  return new CallflowError(
    'MALFORMED_REQUEST',
    `The upload could not be read: ${coerceError(error).message}`,
  );
}

/** Reads at most `max` bytes; past it (or a truncated multipart file) the import fails 413. */
async function* limited(
  stream: Readable,
  max: number,
  truncated: () => boolean,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      if (bytes > max) break;
      yield chunk as Buffer;
    }
  } catch (error) {
    throw unreadable(error);
  }
  if (bytes > max || truncated()) {
    stream.destroy();
    throw new CallflowError('PAYLOAD_TOO_LARGE', `The file is larger than ${max} bytes.`);
  }
}

/** The uploaded file as a byte stream, from a text/csv body or the multipart `file` part. */
async function csvUpload(request: FastifyRequest): Promise<AsyncIterable<Uint8Array>> {
  if (request.isMultipart()) {
    const part = await request
      .file({ limits: { fileSize: IMPORT_MAX_BYTES, files: 1 } })
      .catch((error: unknown) => {
        throw unreadable(error);
      });
    if (part === undefined) {
      throw new CallflowError(
        'VALIDATION_FAILED',
        'The form has no file: send it as the "file" part.',
        {
          field: 'file',
        },
      );
    }
    return limited(part.file, IMPORT_MAX_BYTES, () => part.file.truncated);
  }
  const body = request.body as Readable | undefined;
  if (body === undefined || typeof body.on !== 'function') {
    throw new CallflowError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the file as text/csv or multipart/form-data.',
    );
  }
  return limited(body, IMPORT_MAX_BYTES, () => false);
}

/** A refused import: the most basic problem decides the code; every problem is in details. */
function refused(report: { invalidRows: number; errors: ImportProblem[] }): CallflowError {
  const codes = new Set(report.errors.map((e) => e.code));
  const code: ReasonCode = codes.has('PAYLOAD_TOO_LARGE')
    ? 'PAYLOAD_TOO_LARGE'
    : codes.has('MALFORMED_REQUEST')
      ? 'MALFORMED_REQUEST'
      : 'VALIDATION_FAILED';
  const rows = report.invalidRows === 1 ? '1 row is' : `${report.invalidRows} rows are`;
  return new CallflowError(code, `${rows} invalid; nothing was imported.`, { ...report });
}

export const importRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  // The file is streamed to the importer, never parsed into a body here.
  for (const type of CSV_TYPES) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  }
  app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));
  await app.register(multipart, { limits: { fileSize: IMPORT_MAX_BYTES, files: 1 } });

  app.post(
    '/dlt/templates/import',
    {
      schema: {
        tags: ['DLT registry'],
        summary: 'Import templates from a DLT portal export (CSV), all or nothing',
        description:
          'Columns are matched by name, case-insensitively, in their common variants: Template ID, ' +
          'Template Name, Template Type (Category), Template Content (Message), Header(s), Status, ' +
          'Entity ID. Entities and headers must be registered first. A row equal to the stored ' +
          'template is not written, so importing the same file again changes nothing.',
        consumes,
        body: CsvFile,
        querystring: Type.Object({
          entityId: Type.Optional(
            Type.String({ description: 'Entity of rows without an Entity ID column or value' }),
          ),
          dryRun: DryRun,
        }),
        response: { 200: TemplateImportReport, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const source = await csvUpload(request);
      const q = request.query;
      const report = await importTemplates(ctx.store, sid, source, {
        ...(q.entityId !== undefined && { entityId: q.entityId }),
        dryRun: q.dryRun === true,
      });
      if (report.imported) ctx.registry.invalidate(sid);
      if (!report.imported && report.invalidRows > 0 && q.dryRun !== true) throw refused(report);
      return report;
    },
  );

  app.post(
    '/dnd/import',
    {
      schema: {
        tags: ['DND and consent'],
        summary: 'Import DND preferences (CSV of number, preferences), all or nothing',
        description:
          'Preferences: "" none, "0" fully blocked, or categories 1-7 ("1,3,5", "1|3"). A file without ' +
          'a preferences column lists fully blocked numbers. The header row is optional. Numbers ' +
          'are normalised to E.164; a number listed twice keeps its last row.',
        consumes,
        body: CsvFile,
        querystring: Type.Object({ dryRun: DryRun }),
        response: { 200: DndImportReport, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const source = await csvUpload(request);
      const dryRun = request.query.dryRun === true;
      const report = await importDnd(ctx.store, sid, source, { dryRun });
      if (!report.imported && report.invalidRows > 0 && !dryRun) throw refused(report);
      return report;
    },
  );

  app.post(
    '/dnd/consents/import',
    {
      schema: {
        tags: ['DND and consent'],
        summary: 'Import consents (CSV of number, entity, template, dates), all or nothing',
        description:
          "Columns: Number, Entity ID, Template ID (empty: all of the entity's templates), Granted At " +
          '(default: now), Expires At (empty: never). Dates are ISO 8601, or 2026-06-01 / 01/06/2026 ' +
          "(day first) in the account's time zone. A consent given again replaces the earlier one, " +
          'revoked or not.',
        consumes,
        body: CsvFile,
        querystring: Type.Object({
          entityId: Type.Optional(
            Type.String({ description: 'Entity of rows without an Entity ID' }),
          ),
          dryRun: DryRun,
        }),
        response: { 200: ConsentImportReport, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const source = await csvUpload(request);
      const q = request.query;
      const account = await ctx.store.accounts.get(sid);
      const report = await importConsents(ctx.store, sid, source, {
        ...(q.entityId !== undefined && { entityId: q.entityId }),
        ...(account && { timeZone: account.timeZone }),
        now: ctx.clock(),
        dryRun: q.dryRun === true,
      });
      if (!report.imported && report.invalidRows > 0 && q.dryRun !== true) throw refused(report);
      return report;
    },
  );
};
