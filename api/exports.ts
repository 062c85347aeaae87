import type { FastifyReply } from 'fastify';
import type { StatisticsDimension, StatisticsRow } from '../db/queries/statistics';
import { EXPORT_MEDIA_TYPES, openExport, type ExportColumn, type ExportFormat } from '../lib/table-export';
import type { searchItem } from './case-view';

/** How the admin routes answer: JSON (the default), or the same rows as CSV or XLSX. */
export const FORMATS = ['json', ...(Object.keys(EXPORT_MEDIA_TYPES) as ExportFormat[])] as const;
export type Format = (typeof FORMATS)[number];

export const formatParameter = {
  type: 'string',
  enum: FORMATS,
  default: 'json',
  description: 'json, or the same rows as a CSV (UTF-8 with a byte-order mark) or XLSX download with a header row',
} as const;

/** A 200 answer in each format, for the OpenAPI document. */
export function formatsResponse(description: string, json: object) {
  return {
    description,
    content: {
      'application/json': { schema: json },
      'text/csv': { schema: { type: 'string' } },
      [EXPORT_MEDIA_TYPES.xlsx]: { schema: { type: 'string', format: 'binary' } },
    },
  };
}

/**
 * A download holds a database connection (its cursor) while it streams: a client that
 * stops reading for this long loses it, so that stalled clients cannot drain the pool.
 */
const EXPORT_IDLE_TIMEOUT_MS = 60_000;

/** Answers with the rows as a download: streamed, the first batch read before the status is sent. */
export async function sendExport<R>(
  reply: FastifyReply,
  format: ExportFormat,
  file: { name: string; sheet: string },
  columns: ExportColumn<R>[],
  batches: AsyncIterable<R[]> | Iterable<R[]>,
): Promise<FastifyReply> {
  const stream = await openExport(format, { columns, sheet: file.sheet }, batches);
  reply.raw.setTimeout(EXPORT_IDLE_TIMEOUT_MS, () => reply.raw.destroy());
  return reply
    .type(EXPORT_MEDIA_TYPES[format])
    .header('content-disposition', `attachment; filename="${file.name}.${format}"`)
    .send(stream);
}

/** Each row of each batch shaped as the JSON answer shapes it. */
export async function* shaped<S, R>(batches: AsyncIterable<S[]>, shape: (row: S) => R): AsyncGenerator<R[]> {
  for await (const batch of batches) yield batch.map(shape);
}

type SearchItem = ReturnType<typeof searchItem>;

/** The admin search's export: a row per case, the fields of its JSON item flattened. */
export const SEARCH_COLUMNS: ExportColumn<SearchItem>[] = [
  { header: 'number', type: 'text', value: (c) => c.number },
  { header: 'kind', type: 'text', value: (c) => c.kind },
  { header: 'status', type: 'text', value: (c) => c.status },
  { header: 'statusLabel', type: 'text', value: (c) => c.statusLabel },
  { header: 'version', type: 'number', value: (c) => c.version },
  { header: 'serviceCode', type: 'text', value: (c) => c.service.code },
  { header: 'serviceName', type: 'text', value: (c) => c.service.name },
  { header: 'agency', type: 'text', value: (c) => c.agency },
  { header: 'applicantId', type: 'text', value: (c) => c.applicantId },
  { header: 'assigneeId', type: 'text', value: (c) => c.assigneeId },
  { header: 'submittedAt', type: 'instant', value: (c) => c.submittedAt },
  { header: 'updatedAt', type: 'instant', value: (c) => c.updatedAt },
  { header: 'legalDueDate', type: 'date', value: (c) => c.legalDueDate },
  { header: 'expectedDueDate', type: 'date', value: (c) => c.expectedDueDate },
  { header: 'overdue', type: 'boolean', value: (c) => c.overdue },
  { header: 'closedAt', type: 'instant', value: (c) => c.closedAt },
  { header: 'underAppeal', type: 'text', value: (c) => c.underAppeal },
  { header: 'temporalUi', type: 'text', value: (c) => c.links.temporalUi },
];

/** The figures of a statistics row, in the order the JSON lists them. */
export const STATISTICS_FIGURES = [
  'filed',
  'decided',
  'approved',
  'rejected',
  'approvalRate',
  'avgProcessingDays',
  'p90ProcessingDays',
  'deadlineBreaches',
  'openOverdue',
  'appealsFiled',
  'appealsDecided',
  'appealsUpheld',
  'upheldRate',
] as const satisfies ReadonlyArray<keyof StatisticsRow>;

/** The statistics' export: the groups' values (and a service's name) first, then every figure, as in the JSON rows. */
export function statisticsColumns(groupBy: readonly StatisticsDimension[]): ExportColumn<StatisticsRow>[] {
  const groups = groupBy.flatMap((d): Array<keyof StatisticsRow> => (d === 'service' ? ['service', 'serviceName'] : [d]));
  return [
    ...groups.map((key): ExportColumn<StatisticsRow> => ({ header: key, type: 'text', value: (r) => (r[key] as string | null | undefined) ?? null })),
    ...STATISTICS_FIGURES.map((key): ExportColumn<StatisticsRow> => ({ header: key, type: 'number', value: (r) => r[key] })),
  ];
}
