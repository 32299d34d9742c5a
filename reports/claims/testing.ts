/**
 * Hand-made tables for the claims' rule tests: literal rows as DuckDB views
 * under the catalog's names, typed by the tables' declared schemas, and a
 * claim's measure run on them as the report would run it.
 */
import type { ArtifactRef } from "../../engine/stage.ts";
import { sqlIdent, sqlString } from "../../engine/duck.ts";
import type { ClaimMeasure, ClaimResult } from "../measure.ts";
import { ReportQuery } from "../measure.ts";

/** A column schema (name to DuckDB type), as stages declare their tables. */
export type Schema = Readonly<Record<string, string>>;
/** Literal rows; a column a row leaves out is NULL. */
export type Rows = Record<string, unknown>[];

/** SQL for literal rows cast to a schema's types. */
export function tableSql(schema: Schema, rows: Rows): string {
  const cols = Object.keys(schema);
  const typed = cols.map((c, i) => `CAST(c${i} AS ${schema[c]}) AS ${sqlIdent(c)}`).join(", ");
  if (rows.length === 0) {
    return `SELECT ${
      cols.map((c) => `NULL::${schema[c]} AS ${sqlIdent(c)}`).join(", ")
    } WHERE false`;
  }
  const values = rows.map((r) => `(${cols.map((c) => literal(r[c])).join(", ")})`).join(", ");
  return `SELECT ${typed} FROM (VALUES ${values}) t(${cols.map((_, i) => `c${i}`).join(", ")})`;
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`no literal for ${v}`);
    return String(v);
  }
  return sqlString(String(v));
}

/** An input artifact that exists only by name and parameters (its files are absent). */
export function fakeRef(node: string, params: Record<string, unknown> = {}): ArtifactRef {
  return {
    node,
    stage: node,
    key: "0".repeat(64),
    dir: "/nonexistent",
    manifest: { tables: {}, keyParts: { params } },
    table: (name: string) => `/nonexistent/${name}.parquet`,
    file: (name: string) => `/nonexistent/${name}`,
  } as unknown as ArtifactRef;
}

/**
 * Runs a claim's measure on hand-made tables: `tables` maps catalog view
 * names to [schema, rows]; `params` gives inputs' parameters by node.
 * Inputs are the measure's needs and the nodes the views are named after.
 */
export async function measureOn(
  measure: ClaimMeasure,
  tables: Record<string, [Schema, Rows]>,
  params: Record<string, Record<string, unknown>> = {},
): Promise<ClaimResult> {
  const nodes = new Set(measure.needs);
  for (const view of Object.keys(tables)) nodes.add(view.split("__")[0].replaceAll("_", "-"));
  const inputs = Object.fromEntries([...nodes].map((n) => [n, fakeRef(n, params[n])]));
  const views = Object.fromEntries(
    Object.entries(tables).map(([name, [schema, rows]]) => [name, tableSql(schema, rows)]),
  );
  const q = await ReportQuery.fromSql(views, inputs);
  const dir = await Deno.makeTempDir({ prefix: "dissect-rules-" });
  try {
    return await measure.measure(q, { dir, inputs });
  } finally {
    q.close();
    await Deno.remove(dir, { recursive: true });
  }
}
