/**
 * What a claim page is made of. A claim's measure is code written before the
 * numbers exist: it queries the pipeline's tables, and its verdict rule is a
 * fixed function of those numbers. Every number carries the SQL that produced
 * it and the tables (catalog view names) it read.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ArtifactRef } from "../engine/stage.ts";
import { connect, queryRows, sqlIdent, sqlString, viewName } from "../engine/duck.ts";
import type { Figure } from "./figures.ts";
import { bootstrapMean } from "../stats/bootstrap.ts";
import type { Part, Precondition, Verdict } from "./verdict.ts";

export type { Outcome } from "./verdict.ts";

/** A number on a page, with its interval, the SQL that produced it and the tables it read. */
export interface Measured {
  label: string;
  /** null when the data cannot give it (shown as n/a). */
  value: number | string | null;
  /** A confidence interval, where the number is a statistic. */
  ci?: [number, number];
  /** Its coverage; 0.95 when not given. */
  ciLevel?: number;
  unit?: string;
  /** How the interval was computed, when there is one. */
  ciMethod?: string;
  /**
   * "null": `ci` is not a confidence interval but the middle 95% of the
   * statistic under a null hypothesis (random splits in a permutation test).
   */
  ciKind?: "null";
  sql: string;
  /** Catalog views the SQL reads. */
  tables: string[];
  /**
   * Where the number is computed in TypeScript from the SQL's rows (a
   * balanced accuracy, a bootstrap): the function and its file, unit-tested.
   */
  computedBy?: string;
}

/** Thrown by a measure when the run's data cannot answer (too few images of a kind): inconclusive. */
export class InsufficientData extends Error {
  override name = "InsufficientData";
}

/** What a claim's measure returns: numbers, verdict, figures. */
export interface ClaimResult {
  values: Measured[];
  verdict: Verdict;
  /** Conditions of the paper's setting the test needs; an unmet one gives "not testable here". */
  preconditions?: Precondition[];
  /** A claim with separable parts: each part's verdict (the verdict combines them). */
  parts?: Part[];
  /** Said when the verdict rests on a margin within the numbers' own uncertainty. */
  margin?: string;
  figures: Figure[];
  /** Extra HTML (unit images and the like), already escaped. */
  extraHtml?: string;
}

/** Where a page is written and what it may read besides tables (images of artifacts). */
export interface PageContext {
  /** The report's root folder; a claim page lives in claims/. */
  dir: string;
  inputs: Record<string, ArtifactRef>;
}

/** A claim's measure: the nodes it reads, its rule in words, and the code that applies it. */
export interface ClaimMeasure {
  id: string;
  /** Pipeline nodes whose tables it reads. */
  needs: string[];
  /** The verdict rule, in words, matching the code. */
  rule: string;
  /** The dissection whose thresholds t_u its numbers rest on, if any: its page says how they were defined. */
  thresholds?: "val" | "gan";
  measure(q: ReportQuery, ctx: PageContext): Promise<ClaimResult>;
}

/** SQL over the input artifacts, under their catalog names, recording provenance. */
export class ReportQuery {
  private constructor(
    private conn: DuckDBConnection,
    readonly views: Map<string, ArtifactRef>,
  ) {}

  static async open(inputs: Record<string, ArtifactRef>): Promise<ReportQuery> {
    const conn = await connect();
    const views = new Map<string, ArtifactRef>();
    for (const ref of Object.values(inputs)) {
      for (const table of Object.keys(ref.manifest.tables)) {
        const name = viewName(ref.node, table);
        await conn.run(
          `CREATE OR REPLACE TEMP VIEW ${sqlIdent(name)} AS SELECT * FROM read_parquet(${
            sqlString(ref.table(table))
          })`,
        );
        views.set(name, ref);
      }
    }
    return new ReportQuery(conn, views);
  }

  /**
   * Views defined by SQL instead of artifacts' Parquet files: hand-made
   * tables for the claims' rule tests. A view is credited to the input whose
   * node it is named after (`rank_units__importance` to rank-units).
   */
  static async fromSql(
    views: Record<string, string>,
    inputs: Record<string, ArtifactRef>,
  ): Promise<ReportQuery> {
    const conn = await connect();
    const refs = new Map<string, ArtifactRef>();
    for (const [name, sql] of Object.entries(views)) {
      await conn.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(name)} AS ${sql}`);
      const ref = Object.values(inputs).find((r) =>
        viewName(r.node, "") === name.split("__")[0] + "__"
      );
      if (!ref) throw new Error(`view ${name}: no input named after it`);
      refs.set(name, ref);
    }
    return new ReportQuery(conn, refs);
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return await queryRows<T>(sql, this.conn);
  }

  /** One number: the SQL returns a row with `value` and optionally `lo`, `hi`. */
  async value(label: string, sql: string, unit?: string): Promise<Measured> {
    const [row] = await this.rows<{ value: number | string | null; lo?: number; hi?: number }>(sql);
    if (!row) throw new Error(`measure "${label}": query returned no row`);
    return {
      label,
      value: row.value,
      ci: row.lo !== undefined && row.hi !== undefined ? [row.lo, row.hi] : undefined,
      unit,
      sql: sql.trim(),
      tables: this.tablesIn(sql),
    };
  }

  /**
   * The mean of a per-image column, with a seeded bootstrap interval over
   * images (95% unless `level` says otherwise). The SQL returns one row per
   * image with a numeric column `x`.
   */
  async mean(
    label: string,
    sql: string,
    opts: { unit?: string; seed?: number; scale?: number; level?: number } = {},
  ): Promise<Measured> {
    const rows = await this.rows<{ x: number | boolean | null }>(sql);
    // A row without a value (SQL NULL) is left out and counted, never averaged as 0.
    const xs = rows.filter((r) => r.x !== null).map((r) => Number(r.x) * (opts.scale ?? 1));
    const missing = rows.length - xs.length;
    if (xs.length === 0) throw new Error(`measure "${label}": no rows with a value`);
    const level = opts.level ?? 0.95;
    const ci = bootstrapMean(xs, { seed: opts.seed ?? 1, resamples: 1000, level });
    return {
      label,
      value: ci.estimate,
      ci: [ci.lo, ci.hi],
      ciLevel: level,
      ciMethod: `mean over ${xs.length} rows${
        missing ? ` (${missing} without a value left out)` : ""
      }; ${Math.round(level * 100)}% percentile bootstrap over rows, 1000 resamples, seed ${
        opts.seed ?? 1
      }`,
      unit: opts.unit,
      sql: sql.trim(),
      tables: this.tablesIn(sql),
      computedBy: "bootstrapMean (stats/bootstrap.ts)",
    };
  }

  tablesIn(sql: string): string[] {
    return [...this.views.keys()].filter((v) => new RegExp(`\\b${v}\\b`).test(sql));
  }

  close() {
    this.conn.closeSync();
  }
}

/**
 * A precondition measured by SQL returning one `value`: met when `test`
 * accepts it. `paper` says where the paper's own setting meets it.
 */
export async function precondition(
  q: ReportQuery,
  o: {
    need: string;
    paper: string;
    bar: string;
    sql: string;
    test: (v: number) => boolean;
    kind?: Precondition["kind"];
  },
): Promise<Precondition> {
  const value = await q.value(o.need, o.sql);
  const v = value.value === null ? NaN : Number(value.value);
  return {
    need: o.need,
    paper: o.paper,
    bar: o.bar,
    value,
    met: Number.isFinite(v) && o.test(v),
    kind: o.kind ?? "setting",
  };
}
