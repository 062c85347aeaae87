/**
 * Tables as CSV (csv-stringify) or XLSX (exceljs' streaming workbook writer), written as
 * their rows arrive: an export of any length holds one batch in memory at a time.
 */
import { once } from 'node:events';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';

export const EXPORT_MEDIA_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;
export type ExportFormat = keyof typeof EXPORT_MEDIA_TYPES;

/**
 * What a column holds. CSV writes numbers as JavaScript prints them (they read back
 * exactly), booleans as true/false, instants as ISO 8601 in UTC, dates as YYYY-MM-DD, null
 * as an empty field; XLSX keeps numbers and booleans as such and instants and dates as
 * date cells (in UTC: a spreadsheet has no time zones).
 */
export type ColumnType = 'text' | 'number' | 'boolean' | 'instant' | 'date';
export type Cell = string | number | boolean | null;

export interface ExportColumn<R> {
  header: string;
  type: ColumnType;
  value(row: R): Cell;
}

const XLSX_FORMATS: Partial<Record<ColumnType, string>> = { instant: 'yyyy-mm-dd hh:mm:ss', date: 'yyyy-mm-dd' };

function xlsxCell(type: ColumnType, value: Cell): ExcelJS.CellValue {
  if (value === null) return null;
  // exceljs writes a Date as the serial of its UTC instant; a date is that day's midnight.
  if (type === 'instant') return new Date(value as string);
  if (type === 'date') return new Date(`${value as string}T00:00:00Z`);
  return value;
}

/** The export's rows, each as its cells in column order. */
async function* records<R>(columns: ExportColumn<R>[], batches: AsyncIterable<R[]>): AsyncGenerator<Cell[]> {
  for await (const batch of batches) for (const row of batch) yield columns.map((c) => c.value(row));
}

function csv<R>(columns: ExportColumn<R>[], batches: AsyncIterable<R[]>, out: Writable): Promise<void> {
  // RFC 4180 (CRLF); a byte-order mark, without which spreadsheet programs misread the Cyrillic of service names.
  const stringifier = stringify({ header: true, columns: columns.map((c) => c.header), bom: true, record_delimiter: 'windows', cast: { boolean: (b) => String(b) } });
  return pipeline(Readable.from(records(columns, batches)), stringifier, out);
}

async function xlsx<R>(columns: ExportColumn<R>[], batches: AsyncIterable<R[]>, out: PassThrough, sheet: string): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const worksheet = workbook.addWorksheet(sheet, { views: [{ state: 'frozen', ySplit: 1 }] });
  worksheet.columns = columns.map((c) => ({ header: c.header, key: c.header, width: Math.max(12, c.header.length + 2), style: { numFmt: XLSX_FORMATS[c.type] } }));
  for await (const batch of batches) {
    if (out.destroyed) return;
    for (const row of batch) worksheet.addRow(columns.map((c) => xlsxCell(c.type, c.value(row)))).commit();
    // The zip is piped into `out`: while the client reads slower than the rows come, wait for it.
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  worksheet.commit();
  await workbook.commit();
}

/**
 * The export as a stream to answer with. The first batch is read before it is returned,
 * so a query that fails at once is the caller's error to answer; a failure later ends the
 * stream with that error (the client sees an aborted download, never a truncated file
 * that looks whole).
 */
export async function openExport<R>(format: ExportFormat, opts: { columns: ExportColumn<R>[]; sheet: string }, batches: AsyncIterable<R[]> | Iterable<R[]>): Promise<Readable> {
  const iterator = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : Readable.from(batches)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const all: AsyncIterable<R[]> = {
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      yield first.value;
      // Ending early (the client went away) returns the source too, which closes its cursor.
      yield* { [Symbol.asyncIterator]: () => iterator };
    },
  };
  const out = new PassThrough();
  const written = format === 'csv' ? csv(opts.columns, all, out) : xlsx(opts.columns, all, out, opts.sheet);
  written.catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}
