/**
 * report: the HTML report, one page per claim of claims.md, plus three tables
 * that make every verdict and number queryable: `claims`, `claim_values`, and
 * `preconditions` (what each test needs of the setting, and what the run has).
 * It takes every other node of the pipeline as an input.
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { PROJECT_ROOT } from "../engine/paths.ts";
import { claimNotes, parseClaims } from "../reports/claims_table.ts";
import { ReportQuery } from "../reports/measure.ts";
import { MEASURES, PAGES } from "../reports/registry.ts";
import { measureClaims, pageValues, writeReport } from "../reports/build.ts";

export default defineStage({
  module: import.meta.url,
  name: "report",
  description: "the claim-by-claim HTML report",
  params: z.object({}),
  inputs: "*",
  tables: {
    claims: {
      claim: "VARCHAR",
      /** holds, partly, fails, untestable, inconclusive; or error, not yet measured. */
      status: "VARCHAR",
      rule: "VARCHAR",
      detail: "VARCHAR",
      /** For anything but "holds": the failing precondition or parts, in one line. */
      why: "VARCHAR",
      /** What the rule alone says when an unmet precondition makes the claim untestable. */
      rule_outcome: "VARCHAR",
    },
    claim_values: {
      claim: "VARCHAR",
      label: "VARCHAR",
      value: "VARCHAR",
      lo: "DOUBLE",
      hi: "DOUBLE",
      /** "null": lo to hi is the middle 95% of a permutation null, not a confidence interval. */
      ci_kind: "VARCHAR",
      sql: "VARCHAR",
      tables: "VARCHAR",
    },
    // A claim's preconditions as its measure returned them; a measure that stops for want of
    // data (inconclusive: too few images of a kind) returns none.
    preconditions: {
      claim: "VARCHAR",
      /** The part of the claim it applies to; null for the whole claim. */
      part: "VARCHAR",
      /** What the test needs; also the value's label in claim_values, beside its SQL. */
      need: "VARCHAR",
      /** The bar the value must meet, in words. */
      bar: "VARCHAR",
      value: "VARCHAR",
      met: "BOOLEAN",
      /** "setting" (needed whatever the numbers), or "data" (needed where the interval does not decide). */
      kind: "VARCHAR",
      /** Where the paper's own setting meets it. */
      paper: "VARCHAR",
    },
  },
  // Assets ship with the project; uPlot comes from the pinned npm package.
  files: () => ({
    claims: join(PROJECT_ROOT, "reports/claims.md"),
    report_js: join(PROJECT_ROOT, "reports/assets/report.js"),
    report_css: join(PROJECT_ROOT, "reports/assets/report.css"),
    uplot_js: join(PROJECT_ROOT, "node_modules/uplot/dist/uPlot.iife.min.js"),
    uplot_css: join(PROJECT_ROOT, "node_modules/uplot/dist/uPlot.min.css"),
  }),
  async run(ctx) {
    const markdown = await Deno.readTextFile(ctx.files.claims);
    const claims = parseClaims(markdown);
    const q = await ReportQuery.open(ctx.inputs);
    try {
      await Deno.mkdir(join(ctx.outDir, "claims"), { recursive: true });
      const outcomes = await measureClaims(claims, MEASURES, q, {
        dir: ctx.outDir,
        inputs: ctx.inputs,
      });
      await writeReport(ctx.outDir, outcomes, ctx.inputs, claimNotes(markdown), {
        pages: PAGES,
        q,
      });
      const assets = join(ctx.outDir, "assets");
      await Deno.mkdir(assets, { recursive: true });
      await Deno.copyFile(ctx.files.uplot_js, join(assets, "uPlot.iife.min.js"));
      await Deno.copyFile(ctx.files.uplot_css, join(assets, "uPlot.min.css"));
      await Deno.copyFile(ctx.files.report_js, join(assets, "report.js"));
      await Deno.copyFile(ctx.files.report_css, join(assets, "report.css"));
      const claimsTable = await ctx.table("claims");
      const values = await ctx.table("claim_values");
      const conditions = await ctx.table("preconditions");
      for (const o of outcomes) {
        claimsTable.append({
          claim: o.claim.id,
          status: o.result ? o.result.verdict.outcome : o.failed ? "error" : "not yet measured",
          rule: o.measure?.rule ?? null,
          detail: o.result?.verdict.detail ?? o.missing ?? null,
          why: o.result?.verdict.why ?? null,
          rule_outcome: o.result?.verdict.rule ?? null,
        });
        if (o.failed) ctx.log(`claim ${o.claim.id}: ${o.missing}`);
        const parts = o.result?.parts ?? [];
        for (
          const [part, pre] of [
            [null, o.result?.preconditions ?? []] as const,
            ...parts.map((p) => [p.name, p.preconditions ?? []] as const),
          ]
        ) {
          for (const c of pre) {
            conditions.append({
              claim: o.claim.id,
              part,
              need: c.need,
              bar: c.bar,
              value: c.value.value === null ? null : String(c.value.value),
              met: c.met,
              kind: c.kind ?? "setting",
              paper: c.paper,
            });
          }
        }
        for (const v of o.result ? pageValues(o.result) : []) {
          values.append({
            claim: o.claim.id,
            label: v.label,
            value: v.value === null ? null : String(v.value),
            lo: v.ci?.[0] ?? null,
            hi: v.ci?.[1] ?? null,
            ci_kind: v.ciKind ?? null,
            sql: v.sql,
            tables: v.tables.join(","),
          });
        }
      }
    } finally {
      q.close();
    }
  },
});
