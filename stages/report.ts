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
import { measureClaims, writeReport } from "../reports/build.ts";
import {
  CLAIM_VALUES_TABLE,
  claimRow,
  CLAIMS_TABLE,
  preconditionRows,
  PRECONDITIONS_TABLE,
  valueRows,
} from "../reports/outcome_tables.ts";

export default defineStage({
  module: import.meta.url,
  name: "report",
  description: "the claim-by-claim HTML report",
  params: z.object({}),
  inputs: "*",
  tables: {
    claims: CLAIMS_TABLE,
    claim_values: CLAIM_VALUES_TABLE,
    preconditions: PRECONDITIONS_TABLE,
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
        if (o.failed) ctx.log(`claim ${o.claim.id}: ${o.missing}`);
        claimsTable.append(claimRow(o));
        for (const row of valueRows(o)) values.append(row);
        for (const row of preconditionRows(o)) conditions.append(row);
      }
    } finally {
      q.close();
    }
  },
});
