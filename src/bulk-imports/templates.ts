/**
 * DLT template import: the CSV files DLT portals export (one row per template), validated whole
 * and written in one transaction. A file with any bad row writes nothing and reports every bad row
 * with its line and reason; a row that changes nothing is not written, so importing the same file
 * again changes nothing (not even updatedAt). Each template comes back with its lint findings.
 *
 * Rows must name an entity and headers already registered in the account, as POST
 * /api/v1/dlt/templates requires; a template never moves to another entity.
 */

import {
  type LintFinding,
  lintTemplate,
  validateEntityId,
  validateTemplateId,
} from '../dlt/index.ts';
import type { DltTemplateRecord, Store } from '../store/types.ts';
import { type ColumnSpec, cell, cleanId, mapColumns } from './columns.ts';
import { CsvError, type CsvRecord, readCsv } from './csv.ts';
import { type ImportProblem, type ImportProgress, ProblemList } from './report.ts';
import { parseCategory, parseHeaders, parseNcprCategory, parseTemplateStatus } from './values.ts';

type Field =
  | 'templateId'
  | 'entityId'
  | 'name'
  | 'content'
  | 'category'
  | 'status'
  | 'senderIds'
  | 'ncprCategory';

export const TEMPLATE_COLUMNS: readonly ColumnSpec<Field>[] = [
  {
    key: 'templateId',
    required: true,
    names: [
      'templateid',
      'dlttemplateid',
      'contenttemplateid',
      'ctid',
      'dltctid',
      'templateidctid',
      'tempid',
      'id',
    ],
  },
  {
    key: 'content',
    required: true,
    names: [
      'templatecontentmessage',
      'templatecontent',
      'templatemessage',
      'contenttemplate',
      'templatetext',
      'templatebody',
      'messagecontent',
      'content',
      'message',
      'body',
      'text',
      'template',
    ],
  },
  {
    key: 'category',
    required: true,
    names: [
      'templatetype',
      'templatecategory',
      'contenttype',
      'category',
      'type',
      'messagetype',
      'communicationtype',
      'smstype',
      'templatetypecategory',
    ],
  },
  {
    key: 'entityId',
    required: false,
    names: ['entityid', 'peid', 'principalentityid', 'dltentityid', 'peentityid', 'entity'],
  },
  {
    key: 'name',
    required: false,
    names: ['templatename', 'contenttemplatename', 'templatetitle', 'name', 'title'],
  },
  {
    key: 'senderIds',
    required: false,
    names: [
      'headers',
      'header',
      'linkedheaders',
      'headername',
      'headernames',
      'senderids',
      'senderid',
      'sender',
    ],
  },
  {
    key: 'status',
    required: false,
    names: ['status', 'templatestatus', 'approvalstatus', 'state'],
  },
  {
    key: 'ncprCategory',
    required: false,
    names: ['ncprcategory', 'ncpr', 'preferencecategory', 'contentcategory', 'preference'],
  },
];

export const MAX_TEMPLATE_ROWS = 100_000;
const MAX_CONTENT = 2000;
const MAX_NAME = 200;

export interface TemplateImportOptions {
  /** Entity (PE) of rows without an Entity ID (a file exported for one entity). */
  entityId?: string;
  /** Check the file and report, but write nothing. */
  dryRun?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportedTemplate {
  line: number;
  templateId: string;
  entityId: string;
  name: string;
  category: DltTemplateRecord['category'];
  status: DltTemplateRecord['status'];
  /** created, updated, or unchanged (not written). */
  action: 'created' | 'updated' | 'unchanged';
  lint: LintFinding[];
}

export interface TemplateImportResult {
  /** True when the templates were written (false: a bad row, or a dry run). */
  imported: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  templates: ImportedTemplate[];
  invalidRows: number;
  errors: ImportProblem[];
  /** More errors than listed (`invalidRows` counts every bad row). */
  errorsTruncated: boolean;
  /** Headers that matched no known column and were ignored. */
  ignoredColumns: string[];
}

type Input = Omit<DltTemplateRecord, 'createdAt' | 'updatedAt'>;

function sameTemplate(a: Input, b: DltTemplateRecord): boolean {
  const ids = (x: string[]) => [...x].sort().join('\n');
  return (
    a.entityId === b.entityId &&
    a.name === b.name &&
    a.content === b.content &&
    a.category === b.category &&
    a.status === b.status &&
    ids(a.senderIds) === ids(b.senderIds) &&
    (a.ncprCategory ?? null) === (b.ncprCategory ?? null)
  );
}

export async function importTemplates(
  store: Store,
  accountSid: string,
  source: AsyncIterable<Uint8Array | string>,
  options: TemplateImportOptions = {},
): Promise<TemplateImportResult> {
  const [entities, headers, existing] = await Promise.all([
    store.dlt.listEntities(accountSid),
    store.dlt.listHeaders(accountSid),
    store.dlt.listTemplates(accountSid),
  ]);
  const entityIds = new Set(entities.map((e) => e.entityId));
  const headersOf = new Map<string, Set<string>>();
  for (const h of headers) {
    if (!headersOf.has(h.entityId)) headersOf.set(h.entityId, new Set());
    headersOf.get(h.entityId)!.add(h.senderId);
  }
  const stored = new Map(existing.map((t) => [t.templateId, t]));

  const problems = new ProblemList();
  const rows: { line: number; input: Input }[] = [];
  const lineOf = new Map<string, number>();
  let columns: ReturnType<typeof mapColumns<Field>> | null = null;
  let count = 0;

  const result = (imported: boolean, templates: ImportedTemplate[] = []): TemplateImportResult => ({
    imported,
    rows: count,
    created: templates.filter((t) => t.action === 'created').length,
    updated: templates.filter((t) => t.action === 'updated').length,
    unchanged: templates.filter((t) => t.action === 'unchanged').length,
    templates,
    invalidRows: problems.invalidRows,
    errors: problems.problems,
    errorsTruncated: problems.truncated,
    ignoredColumns: columns?.ignored ?? [],
  });

  function readRow(record: CsvRecord, map: NonNullable<typeof columns>): void {
    const line = record.line;
    const get = (f: Field) => cell(map, record.fields, f);
    const rowProblems: ImportProblem[] = [];
    const bad = (field: Field, code: ImportProblem['code'], message: string) =>
      rowProblems.push({ line, field, code, message });

    let templateId = '';
    const id = cleanId(get('templateId'));
    if ('problem' in id) bad('templateId', 'INVALID_TEMPLATE_ID', `Template ID ${id.problem}.`);
    else if (validateTemplateId(id.id) !== null) {
      bad('templateId', 'INVALID_TEMPLATE_ID', `Template ID "${id.id}" is not 12 to 19 digits.`);
    } else templateId = id.id;

    let entityId = '';
    const rawEntity = get('entityId') || options.entityId || '';
    const entity = cleanId(rawEntity);
    if (rawEntity === '') {
      bad(
        'entityId',
        'VALIDATION_FAILED',
        'No Entity ID: add the column, or give the entity of the file.',
      );
    } else if ('problem' in entity)
      bad('entityId', 'INVALID_ENTITY_ID', `Entity ID ${entity.problem}.`);
    else if (validateEntityId(entity.id) !== null) {
      bad('entityId', 'INVALID_ENTITY_ID', `Entity ID "${entity.id}" is not 12 to 19 digits.`);
    } else if (!entityIds.has(entity.id)) {
      bad(
        'entityId',
        'DLT_ENTITY_NOT_FOUND',
        `Entity ${entity.id} is not registered; register it first.`,
      );
    } else entityId = entity.id;

    const content = get('content').replaceAll('\r\n', '\n');
    if (content === '') bad('content', 'VALIDATION_FAILED', 'The template content is empty.');
    else if ([...content].length > MAX_CONTENT) {
      bad('content', 'TEXT_TOO_LONG', `The content is longer than ${MAX_CONTENT} characters.`);
    } else if (content.includes('\ufffd')) {
      bad(
        'content',
        'INVALID_TEXT',
        'The content is not valid UTF-8: save the file as "CSV UTF-8".',
      );
    } else if (content.includes('\u0000')) {
      bad('content', 'INVALID_TEXT', 'The content contains a NUL character.');
    }

    const name = get('name');
    if (name.length > MAX_NAME) {
      bad('name', 'VALIDATION_FAILED', `The name is longer than ${MAX_NAME} characters.`);
    }
    const category = parseCategory(get('category'));
    if (!category.ok) bad('category', 'VALIDATION_FAILED', `${capital(category.problem)}.`);
    const status =
      map.index.status === undefined
        ? ({ ok: true, value: 'approved' } as const)
        : parseTemplateStatus(get('status'));
    if (!status.ok) bad('status', 'VALIDATION_FAILED', `${capital(status.problem)}.`);
    const senderIds = parseHeaders(get('senderIds'));
    if (!senderIds.ok) bad('senderIds', 'INVALID_HEADER', `${capital(senderIds.problem)}.`);
    else if (entityId !== '') {
      const registered = headersOf.get(entityId) ?? new Set<string>();
      const missing = senderIds.value.filter((h) => !registered.has(h));
      if (missing.length > 0) {
        bad(
          'senderIds',
          'DLT_HEADER_NOT_FOUND',
          `Not registered to entity ${entityId} (headers are case-sensitive): ${missing.join(', ')}.`,
        );
      }
    }
    const ncpr = parseNcprCategory(get('ncprCategory'));
    if (!ncpr.ok) bad('ncprCategory', 'VALIDATION_FAILED', `${capital(ncpr.problem)}.`);

    if (templateId !== '') {
      const first = lineOf.get(templateId);
      if (first !== undefined) {
        bad('templateId', 'CONFLICT', `Template ${templateId} is also on line ${first}.`);
      } else lineOf.set(templateId, line);
      const before = stored.get(templateId);
      if (before && entityId !== '' && before.entityId !== entityId) {
        bad(
          'entityId',
          'CONFLICT',
          `Template ${templateId} is registered to entity ${before.entityId}; a template never changes entity.`,
        );
      }
    }

    problems.addRow(rowProblems);
    if (rowProblems.length > 0 || !category.ok || !status.ok || !senderIds.ok || !ncpr.ok) return;
    const before = stored.get(templateId);
    rows.push({
      line,
      input: {
        accountSid,
        templateId,
        entityId,
        name: map.index.name === undefined ? (before?.name ?? '') : name,
        content,
        category: category.value,
        status: status.value,
        senderIds: map.index.senderIds === undefined ? (before?.senderIds ?? []) : senderIds.value,
        ncprCategory:
          map.index.ncprCategory === undefined ? (before?.ncprCategory ?? null) : ncpr.value,
      },
    });
  }

  try {
    for await (const batch of readCsv(source)) {
      for (const record of batch) {
        if (record.fields.every((f) => f.trim() === '')) continue;
        if (columns === null) {
          columns = mapColumns(record.fields, TEMPLATE_COLUMNS);
          if (columns.missing.length > 0) {
            problems.addRow([
              {
                line: record.line,
                code: 'VALIDATION_FAILED',
                message: `The header row has no ${columns.missing.join(', ')} column (found: ${record.fields.join(', ')}).`,
              },
            ]);
            return result(false);
          }
          continue;
        }
        if (++count > MAX_TEMPLATE_ROWS) {
          problems.addRow([
            {
              line: record.line,
              code: 'PAYLOAD_TOO_LARGE',
              message: `More than ${MAX_TEMPLATE_ROWS} templates in one file.`,
            },
          ]);
          return result(false);
        }
        readRow(record, columns);
      }
      options.onProgress?.({ rows: count });
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    problems.addRow([{ line: error.line, code: 'MALFORMED_REQUEST', message: error.message }]);
    return result(false);
  }
  if (columns === null) {
    problems.addRow([{ line: 1, code: 'VALIDATION_FAILED', message: 'The file is empty.' }]);
    return result(false);
  }
  if (!problems.empty) return result(false);

  const templates: ImportedTemplate[] = rows.map(({ line, input }) => {
    const before = stored.get(input.templateId);
    const action =
      before === undefined ? 'created' : sameTemplate(input, before) ? 'unchanged' : 'updated';
    return {
      line,
      templateId: input.templateId,
      entityId: input.entityId,
      name: input.name,
      category: input.category,
      status: input.status,
      action,
      lint: lintTemplate(input.content),
    };
  });
  if (options.dryRun) return result(false, templates);
  const changed = rows.filter((_, i) => templates[i]!.action !== 'unchanged').map((r) => r.input);
  if (changed.length > 0) await store.dlt.upsertTemplates(changed);
  return result(true, templates);
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
