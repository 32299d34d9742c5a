/**
 * Streams rows into a Parquet file through DuckDB's appender. Rows go to an
 * in-memory table and are copied to Parquet on close, so a stage never builds
 * big JS arrays of rows. A failed close may leave a partial file, but only in
 * the stage's private folder, which is then discarded.
 */
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import { connect, sqlIdent, sqlString } from "./duck.ts";

/** The column types a table may declare. */
export type ColumnType =
  | "VARCHAR"
  | "DOUBLE"
  | "FLOAT"
  | "BOOLEAN"
  | "UTINYINT"
  | "USMALLINT"
  | "INTEGER"
  | "BIGINT";

/** A table's columns: name to type, in order. */
export type TableSchema = Record<string, ColumnType>;
/** One row: column name to value. */
export type Row = Record<string, string | number | boolean | null>;

/** The value a column of a type holds in a row. */
export type ValueOf<C extends ColumnType> = C extends "VARCHAR" ? string
  : C extends "BOOLEAN" ? boolean
  : number;

/** The row type of a declared table: every declared column, each of its type or null. */
export type RowOf<S extends TableSchema> = { [K in keyof S]: ValueOf<S[K]> | null };

/**
 * Some columns of a declared table as a query selects them, not null: the
 * row type of a reader whose SQL picks or joins columns, tied to the schema
 * the writer declared.
 */
export type ColumnsOf<S extends TableSchema, K extends keyof S> = { [C in K]: ValueOf<S[C]> };

let tableCounter = 0;

/** Streams rows into a Parquet file through DuckDB, in batches. */
export class TableWriter {
  #conn: DuckDBConnection;
  #appender: DuckDBAppender;
  #table: string;
  #columns: [string, ColumnType][];
  rows = 0;

  private constructor(
    readonly path: string,
    readonly schema: TableSchema,
    conn: DuckDBConnection,
    appender: DuckDBAppender,
    table: string,
  ) {
    this.#conn = conn;
    this.#appender = appender;
    this.#table = table;
    this.#columns = Object.entries(schema);
  }

  static async create(path: string, schema: TableSchema): Promise<TableWriter> {
    if (Object.keys(schema).length === 0) {
      throw new TypeError(`table ${path}: schema has no columns`);
    }
    const conn = await connect();
    const table = `t_${Deno.pid}_${++tableCounter}`;
    const cols = Object.entries(schema)
      .map(([name, type]) => `${sqlIdent(name)} ${type}`)
      .join(", ");
    await conn.run(`CREATE TABLE ${table} (${cols})`);
    const appender = await conn.createAppender(table);
    return new TableWriter(path, schema, conn, appender, table);
  }

  append(row: Row): void {
    for (const [name, type] of this.#columns) {
      const v = row[name];
      if (v === undefined || v === null) {
        if (v === undefined) {
          throw new TypeError(`table ${this.path}: row lacks column "${name}"`);
        }
        this.#appender.appendNull();
        continue;
      }
      appendTyped(this.#appender, type, v, name, this.path);
    }
    this.#appender.endRow();
    this.rows++;
  }

  /** Copy the rows to Parquet and release the in-memory table. */
  async close(): Promise<number> {
    try {
      this.#appender.closeSync();
      await this.#conn.run(
        `COPY ${this.#table} TO ${sqlString(this.path)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    } finally {
      await this.#conn.run(`DROP TABLE IF EXISTS ${this.#table}`).catch(() => {});
      this.#conn.closeSync();
    }
    return this.rows;
  }

  /** Drop everything written so far (the stage failed). */
  async abort(): Promise<void> {
    try {
      this.#appender.closeSync();
    } catch { /* already closed */ }
    await this.#conn.run(`DROP TABLE IF EXISTS ${this.#table}`).catch(() => {});
    this.#conn.closeSync();
  }
}

function appendTyped(
  a: DuckDBAppender,
  type: ColumnType,
  v: string | number | boolean,
  name: string,
  path: string,
): void {
  const bad = () =>
    new TypeError(`table ${path}: column "${name}" (${type}) got ${typeof v} ${String(v)}`);
  switch (type) {
    case "VARCHAR":
      if (typeof v !== "string") throw bad();
      return a.appendVarchar(v);
    case "BOOLEAN":
      if (typeof v !== "boolean") throw bad();
      return a.appendBoolean(v);
    case "DOUBLE":
      if (typeof v !== "number") throw bad();
      return a.appendDouble(v);
    case "FLOAT":
      if (typeof v !== "number") throw bad();
      return a.appendFloat(v);
    default:
      if (typeof v !== "number" || !Number.isInteger(v)) throw bad();
      switch (type) {
        case "UTINYINT":
          return a.appendUTinyInt(v);
        case "USMALLINT":
          return a.appendUSmallInt(v);
        case "INTEGER":
          return a.appendInteger(v);
        case "BIGINT":
          return a.appendBigInt(BigInt(v));
      }
  }
}
