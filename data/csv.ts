/**
 * Comma-separated tables as Broden writes them (RFC 4180: a header line,
 * fields quoted with '"' when they hold a comma, a quote or a line break,
 * quotes doubled inside). Reading keeps each record's line number, so that
 * an error can name the line at fault.
 */
import { DissectError } from "../engine/errors.ts";

/** One record of a table: its fields by column name, and the line it starts on (1 = the header). */
export interface CsvRecord {
  line: number;
  fields: Record<string, string>;
}

/** A table read from a file: its header and its records. */
export interface CsvTable {
  path: string;
  columns: string[];
  records: CsvRecord[];
}

/**
 * The records of CSV text, as lists of fields with the line each starts on.
 * Blank lines are skipped; an unterminated quote is an error naming `path`.
 */
export function parseCsv(text: string, path: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [], field = "", quoted = false, line = 1, start = 1, i = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== "") out.push({ line: start, fields });
    fields = [];
    field = "";
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a byte order mark
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      start = ++line;
    } else field += c;
  }
  if (quoted) {
    throw new DissectError("DATA", `${path}, line ${start}: a quoted field is not closed`);
  }
  if (field !== "" || fields.length) endRecord();
  return out;
}

/**
 * Reads a CSV file with a header line that has at least the `required`
 * columns; a missing file, a missing column or a record of the wrong length
 * is a DATA error naming the file (and line).
 */
export async function readCsvTable(path: string, required: readonly string[]): Promise<CsvTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message;
    throw new DissectError("DATA", `${path}: ${why}`);
  }
  const [header, ...rows] = parseCsv(text, path);
  if (!header) throw new DissectError("DATA", `${path}: empty, expected a header line`);
  const columns = header.fields.map((c) => c.trim());
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length) {
    throw new DissectError(
      "DATA",
      `${path}: no column ${missing.map((c) => `"${c}"`).join(", ")} (header: ${
        columns.join(",")
      })`,
    );
  }
  const records = rows.map(({ line, fields }) => {
    if (fields.length !== columns.length) {
      throw new DissectError(
        "DATA",
        `${path}, line ${line}: ${fields.length} fields, the header has ${columns.length}`,
      );
    }
    return { line, fields: Object.fromEntries(columns.map((c, k) => [c, fields[k]])) };
  });
  return { path, columns, records };
}

/** One field as CSV writes it: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A CSV file's text: the header, then one line per row, fields in the header's order. */
export function formatCsv(
  columns: readonly string[],
  rows: readonly Record<string, string | number>[],
): string {
  const line = (values: (string | number)[]) => values.map(csvField).join(",") + "\n";
  return line([...columns]) + rows.map((r) => line(columns.map((c) => r[c] ?? ""))).join("");
}
