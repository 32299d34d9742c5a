/** One in-process DuckDB for writing Parquet and querying it. */
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { RowOf, TableSchema } from "./table_writer.ts";

let instance: Promise<DuckDBInstance> | null = null;

/** A fresh connection to the shared in-memory database. */
export async function connect(): Promise<DuckDBConnection> {
  instance ??= DuckDBInstance.create(":memory:", { threads: "2" });
  return await (await instance).connect();
}

/** Run a query and return plain row objects (BIGINTs become numbers when safe). */
export async function queryRows<T = Record<string, unknown>>(
  sql: string,
  conn?: DuckDBConnection,
): Promise<T[]> {
  const c = conn ?? await connect();
  try {
    const reader = await c.runAndReadAll(sql);
    return reader.getRowObjectsJS().map(normalizeRow) as T[];
  } finally {
    if (!conn) c.closeSync();
  }
}

function normalizeRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }
  return out;
}

/** Quote a string as a SQL literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Quote an identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** The catalog name of a node's table: dashes become underscores. */
export function viewName(node: string, table: string): string {
  return `${node.replaceAll("-", "_")}__${table}`;
}

/**
 * The rows of a table file (Parquet) declared with `schema`, typed by it: its
 * declared columns only, then `rest` (a WHERE or ORDER BY clause) as SQL.
 */
export async function tableRows<S extends TableSchema>(
  path: string,
  schema: S,
  rest = "",
): Promise<RowOf<S>[]> {
  const columns = Object.keys(schema).map(sqlIdent).join(", ");
  return await queryRows<RowOf<S>>(
    `SELECT ${columns} FROM read_parquet(${sqlString(path)}) ${rest}`,
  );
}
