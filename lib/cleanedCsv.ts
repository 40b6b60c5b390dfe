// RFC 4180 CSV for cleaned rows: header line in every object, CRLF line ends, a field quoted only
// when it holds a comma, quote or line break, null as an empty field, numbers as JavaScript prints them.
import { CLEANED_COLUMNS, type CleanedRow, cleanBeer, NUMERIC_COLUMNS } from './beer.js';
import { linesToBuffer } from './lines.js';

const HEADER = CLEANED_COLUMNS.join(',');
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CLEANED_CSV_HEADER = HEADER;

/** One row's line, without its line end. */
export const cleanedCsvLine = (row: CleanedRow) =>
  CLEANED_COLUMNS.map((column) => csvField(row[column])).join(',');

function csvLines(rows: Iterable<CleanedRow>): string[] {
  const lines = [HEADER];
  for (const row of rows) lines.push(cleanedCsvLine(row));
  return lines;
}

export function encodeCleanedCsv(rows: Iterable<CleanedRow>): string {
  return `${csvLines(rows).join('\r\n')}\r\n`;
}

/** The same CSV as UTF-8 bytes, for an S3 body (lib/lines.ts says why not the string). */
export const encodeCleanedCsvBytes = (rows: Iterable<CleanedRow>): Buffer =>
  linesToBuffer(csvLines(rows), '\r\n');

/**
 * Splits RFC 4180 text into records of fields (blank lines skipped). Throws on an unterminated
 * quoted field. A line without a quote is split as it is, at its commas: most lines, and much
 * faster than walking characters, which only records with a quoted field need.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  let quote = text.indexOf('"');
  while (i < text.length) {
    if (quote !== -1 && quote < i) quote = text.indexOf('"', i);
    const end = lineEnd(text, i);
    if (quote === -1 || quote > end) {
      if (end > i) records.push(text.slice(i, end).split(','));
      i = end + (text[end] === '\r' && text[end + 1] === '\n' ? 2 : 1);
      continue;
    }
    const [record, next] = quotedRecord(text, i);
    if (record) records.push(record);
    i = next;
  }
  return records;
}

/** Where the line starting at `from` ends: its first CR or LF, or the end of the text. */
function lineEnd(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
  return end === -1 ? text.length : end;
}

/** One record that holds a quote, character by character; returns it and where the next starts. */
function quotedRecord(text: string, start: number): [string[] | undefined, number] {
  const record: string[] = [];
  let current = '';
  let quoted = false;
  let fieldStarted = false;
  let i = start;
  const finish = (): string[] | undefined => {
    if (fieldStarted || current !== '' || record.length > 0) record.push(current);
    return record.length > 0 ? record : undefined;
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          current += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        current += ch;
      }
      i += 1;
      continue;
    }
    if (ch === '"' && current === '') {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      record.push(current);
      current = '';
      fieldStarted = true;
    } else if (ch === '\r' || ch === '\n') {
      return [finish(), i + (ch === '\r' && text[i + 1] === '\n' ? 2 : 1)];
    } else {
      current += ch;
      fieldStarted = true;
    }
    i += 1;
  }
  if (quoted) throw new Error('unterminated quoted field at end of CSV');
  return [finish(), i];
}

/**
 * Reads a cleaned CSV object back into rows, validating each one against the same contract the
 * consumer wrote it with. Throws an error naming the line and the problem for a corrupt object.
 */
export function decodeCleanedCsv(text: string): CleanedRow[] {
  const records = parseCsv(text);
  const header = records[0]?.join(',');
  if (header !== HEADER) throw new Error(`header: expected "${HEADER}", got "${header ?? ''}"`);
  const rows: CleanedRow[] = [];
  for (let line = 1; line < records.length; line += 1) {
    const fields = records[line] as string[];
    if (fields.length !== CLEANED_COLUMNS.length) {
      throw new Error(`line ${line + 1}: expected ${CLEANED_COLUMNS.length} fields, got ${fields.length}`);
    }
    rows.push(decodeCleanedFields(fields, line + 1));
  }
  return rows;
}

/** The first nine fields of a record as a cleaned row, checked by the consumer's own contract. */
export function decodeCleanedFields(fields: string[], line: number): CleanedRow {
  const beer: Record<string, unknown> = {
    id: toNumber(fields[0] as string),
    name: fields[1] === '' ? null : fields[1],
  };
  NUMERIC_COLUMNS.forEach((column, k) => {
    beer[column] = toNumber(fields[k + 2] as string);
  });
  const result = cleanBeer(beer);
  if (!result.ok) throw new Error(`line ${line}: ${result.reason}`);
  return result.row;
}

function toNumber(text: string): number | string | null {
  if (text === '') return null;
  const n = Number(text);
  return Number.isNaN(n) ? text : n;
}
