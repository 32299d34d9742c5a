/**
 * report: the HTML report, one page per claim of claims.md, plus two tables
 * that make every verdict and number queryable: `claims` and `claim_values`.
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
