/**
 * Builds the HTML report: an index of claims and artifacts, one page per
 * claim. Pages of claims that are not measured yet say so plainly.
 */
import { thresholdDefinition } from "./claims/dissection.ts";
import { join } from "node:path";
import type { ArtifactRef } from "../engine/stage.ts";
import type { Claim } from "./claims_table.ts";
import {
  type ClaimMeasure,
  type ClaimResult,
  InsufficientData,
  type Measured,
  type PageContext,
  type ReportQuery,
} from "./measure.ts";
import { esc, page, table } from "./html.ts";
import { type Figure, figureHtml } from "./figures.ts";

/** A claim and what its measure found, or why it was not measured. */
export interface ClaimOutcome {
  claim: Claim;
  measure?: ClaimMeasure;
  result?: ClaimResult;
  /** Why it is not measured (missing stages or a failed measure). */
  missing?: string;
  /** The measure threw (a bug or unusable data), as opposed to stages being absent. */
  failed?: boolean;
}

/** Runs every claim's measure on the run's tables. */
export async function measureClaims(
  claims: Claim[],
  measures: Record<string, ClaimMeasure>,
  q: ReportQuery,
  ctx: PageContext,
): Promise<ClaimOutcome[]> {
  const available = new Set(Object.keys(ctx.inputs));
  const out: ClaimOutcome[] = [];
  for (const claim of claims) {
    const measure = measures[claim.id];
    if (!measure) {
      out.push({
        claim,
        missing: `no stage of this pipeline measures it yet (needs: ${claim.stages})`,
      });
      continue;
    }
    const absent = measure.needs.filter((n) => !available.has(n));
    if (absent.length) {
      out.push({ claim, measure, missing: `this run has no ${absent.join(", ")} stage(s)` });
      continue;
    }
    try {
      const result = await measure.measure(q, ctx);
      if (measure.thresholds && available.has(`quantile-${measure.thresholds}`)) {
        result.values.push(await thresholdDefinition(q, measure.thresholds));
      }
      out.push({ claim, measure, result });
    } catch (e) {
      if (e instanceof InsufficientData) {
        const verdict = { outcome: "inconclusive" as const, detail: e.message };
        const values = measure.thresholds && available.has(`quantile-${measure.thresholds}`)
          ? [await thresholdDefinition(q, measure.thresholds)]
          : [];
        out.push({ claim, measure, result: { values, verdict, figures: [] } });
        continue;
      }
      // A measure that breaks is reported as such, never as a verdict.
      out.push({
        claim,
        measure,
        missing: `its measure failed: ${(e as Error).message}`,
        failed: true,
      });
    }
  }
  return out;
}

/** A page that is not a claim (the models of the zoo, for instance). */
export interface ExtraPage {
  id: string;
  title: string;
  /** Pipeline nodes it reads; the page is left out when one is missing. */
  needs: string[];
  build(q: ReportQuery, ctx: { dir: string; inputs: Record<string, ArtifactRef> }): Promise<{
    body: string;
    values: Measured[];
  }>;
}

/** Writes the report: the index, a page per claim and the extra pages. */
export async function writeReport(
  dir: string,
  outcomes: ClaimOutcome[],
  inputs: Record<string, ArtifactRef>,
  notes: string[],
  extra: { pages: ExtraPage[]; q: ReportQuery },
): Promise<void> {
  const refs = Object.values(inputs);
  await Deno.mkdir(join(dir, "claims"), { recursive: true });
  await Deno.mkdir(join(dir, "pages"), { recursive: true });
  const built: ExtraPage[] = [];
  for (const p of extra.pages) {
    if (!p.needs.every((n) => n in inputs)) continue;
    let body: string, values: Measured[];
    try {
      ({ body, values } = await p.build(extra.q, { dir, inputs }));
    } catch (e) {
      // One broken page must not take the report down; it says what went wrong.
      body = `<p><b>This page could not be built:</b> ${esc((e as Error).message)}</p>`;
      values = [];
    }
    const used = usedInputs(values, refs);
    await Deno.writeTextFile(
      join(dir, "pages", `${p.id}.html`),
      page(
        p.title,
        `<h1>${esc(p.title)}</h1>\n${body}\n<h2>Provenance</h2>\n${provenance(values, used)}`,
        {
          root: "..",
        },
      ),
    );
    built.push(p);
  }
  await Deno.writeTextFile(join(dir, "index.html"), indexPage(outcomes, refs, notes, built));
  for (const o of outcomes) {
    await Deno.writeTextFile(join(dir, "claims", `${o.claim.id}.html`), claimPage(o, refs));
  }
}

/** The artifacts whose tables a set of numbers read. */
function usedInputs(values: Measured[], inputs: ArtifactRef[]): ArtifactRef[] {
  const used = new Set(values.flatMap((v) => v.tables));
  return inputs.filter((i) =>
    [...used].some((u) => u.startsWith(i.node.replaceAll("-", "_") + "__"))
  );
}

/** The measured values as a table: label, value, interval. */
export function valuesTable(values: Measured[]): string {
  return table(
    ["measure", "value", "interval"],
    values.map((v) => [
      v.label,
      fmt(v.value, v.unit),
      v.ci ? `${fmt(v.ci[0])} to ${fmt(v.ci[1])} (${Math.round(100 * (v.ciLevel ?? 0.95))}%)` : "",
    ]),
  );
}

function verdictBadge(o: ClaimOutcome): string {
  if (o.failed) return `<span class="verdict fails">measure failed</span>`;
  if (!o.result) return `<span class="verdict pending">not yet measured</span>`;
  const v = o.result.verdict.outcome;
  const cls = v === "holds" ? "holds" : v === "fails" ? "fails" : "inconclusive";
  const text = v === "fails" ? "does not hold" : v;
  return `<span class="verdict ${cls}">${text}</span>`;
}

function indexPage(
  outcomes: ClaimOutcome[],
  inputs: ArtifactRef[],
  notes: string[],
  pages: ExtraPage[],
): string {
  const rows = outcomes.map((o) =>
    `<tr><td><a href="claims/${o.claim.id}.html">${esc(o.claim.id)}</a></td>` +
    `<td>${esc(o.claim.figure)}</td><td>${esc(o.claim.statement)}</td><td>${
      verdictBadge(o)
    }</td></tr>`
  ).join("\n");
  const sorted = [...inputs].sort((a, b) => a.node.localeCompare(b.node));
  const rowsFig: Figure = {
    kind: "bars",
    title: "Rows written per stage (all tables)",
    xLabel: "stage",
    yLabel: "rows",
    x: sorted.map((_, i) => i),
    xNames: sorted.map((r) => r.node),
    series: [{
      label: "rows",
      values: sorted.map((r) => Object.values(r.manifest.tables).reduce((s, n) => s + n, 0)),
    }],
  };
  return page(
    "dissect: network dissection, claim by claim",
    `<h1>Network dissection, claim by claim</h1>
<p>Each claim of the paper gets a page with the paper's number, ours, a verdict by a rule
fixed in code before the run, a figure, and the provenance of every number.</p>
<table><thead><tr><th>claim</th><th>figure</th><th>the paper says</th><th>verdict</th></tr></thead>
<tbody>${rows}</tbody></table>
${
      pages.length
        ? `<h2>More pages</h2><ul>${
          pages.map((p) => `<li><a href="pages/${p.id}.html">${esc(p.title)}</a></li>`).join("")
        }</ul>`
        : ""
    }
<h2>Artifacts of this run</h2>
${artifactTable(sorted)}
${sorted.length ? figureHtml(rowsFig) : ""}
<h2>Definitions (from the paper's methods)</h2>
<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join("\n")}</ul>`,
  );
}

function artifactTable(inputs: ArtifactRef[]): string {
  return table(
    ["stage", "kind", "key", "tables (rows)", "parameters"],
    inputs.map((r) => [
      r.node,
      r.stage,
      r.key.slice(0, 16),
      Object.entries(r.manifest.tables).map(([t, n]) => `${t} (${n})`).join(", "),
      JSON.stringify(r.manifest.keyParts.params),
    ]),
  );
}

function claimPage(o: ClaimOutcome, inputs: ArtifactRef[]): string {
  const c = o.claim;
  const head = `<h1>${esc(c.id)}: ${esc(c.statement)}</h1>
<p>${verdictBadge(o)} <span class="muted">Figure ${esc(c.figure)} of the paper</span></p>
<h2>The paper</h2>
<p>${esc(c.statement)}.</p><p><b>Paper's numbers:</b> ${esc(c.paperNumbers)}</p>
<p class="muted">Stages: ${esc(c.stages)}</p>`;
  if (!o.result) {
    return page(
      `${c.id}: not yet measured`,
      o.failed
        ? `${head}<h2>Ours</h2><p><b>The measure failed</b> (${esc(o.missing ?? "")}).</p>
<p>No number is shown: the stages ran, but their tables could not be turned into a result.</p>`
        : `${head}<h2>Ours</h2><p><b>Not yet measured.</b> ${esc(o.missing ?? "")}.</p>
<p>No number is shown until a stage of the pipeline computes it.</p>`,
      { root: ".." },
    );
  }
  const r = o.result;
  return page(
    `${c.id}: ${r.verdict.outcome}`,
    `${head}
<h2>Ours</h2>
${valuesTable(r.values)}
<h2>Verdict</h2>
<p>${verdictBadge(o)} ${esc(r.verdict.detail)}</p>
<p><b>Rule</b> (fixed in <code>reports/claims/${esc(c.id)}.ts</code> before the run): ${
      esc(o.measure!.rule)
    }</p>
<h2>Figure</h2>
${r.figures.map(figureHtml).join("\n")}
${r.extraHtml ?? ""}
<h2>Provenance</h2>
${provenance(r.values, usedInputs(r.values, inputs))}`,
    { root: ".." },
  );
}

function provenance(values: Measured[], inputs: ArtifactRef[]): string {
  const sqls = values.map((v) =>
    `<details><summary>${esc(v.label)}: reads ${esc(v.tables.join(", "))}</summary><pre>${
      esc(v.sql)
    }</pre>${v.ciMethod ? `<p class="muted">Interval: ${esc(v.ciMethod)}.</p>` : ""}</details>`
  ).join("\n");
  return `<p>Table names are views of <code>artifacts/catalog.duckdb</code>; each reads the Parquet file of the artifact below.</p>
${artifactTable(inputs)}
${sqls}`;
}

function fmt(v: number | string | null, unit?: string): string {
  if (v === null || (typeof v === "number" && !Number.isFinite(v))) return "n/a";
  if (typeof v === "string") return v;
  const s = Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 4 : 2);
  return unit ? `${s} ${unit}` : s;
}
