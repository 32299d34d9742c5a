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
import { OUTCOME_TEXT, OUTCOMES, PARTS_RULE, type Precondition } from "./verdict.ts";
import { settingOfRun } from "./setting.ts";

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
        const verdict = { outcome: "inconclusive" as const, detail: e.message, why: e.message };
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
  const setting = await settingOfRun(extra.q, inputs);
  await Deno.writeTextFile(
    join(dir, "index.html"),
    indexPage(outcomes, refs, notes, built, setting),
  );
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
      !v.ci
        ? ""
        : v.ciKind === "null"
        ? `under the null: ${fmt(v.ci[0])} to ${fmt(v.ci[1])} (middle 95% of random splits)`
        : `${fmt(v.ci[0])} to ${fmt(v.ci[1])} (${Math.round(100 * (v.ciLevel ?? 0.95))}%)`,
    ]),
  );
}

function verdictBadge(o: ClaimOutcome): string {
  if (o.failed) return `<span class="verdict fails">measure failed</span>`;
  if (!o.result) return `<span class="verdict pending">not yet measured</span>`;
  return badge(o.result.verdict.outcome);
}

function badge(v: keyof typeof OUTCOME_TEXT): string {
  return `<span class="verdict ${v}">${OUTCOME_TEXT[v]}</span>`;
}

/** One line of why a claim does not simply hold: the failing precondition or parts, or the numbers. */
function whyLine(o: ClaimOutcome): string {
  if (!o.result) return o.missing ?? "";
  const v = o.result.verdict;
  if (v.outcome === "holds") return "";
  return v.why ?? v.detail;
}

/** The preconditions of a claim (or a part) as a table: what the test needs and what this run has. */
function preconditionsTable(pre: readonly Precondition[]): string {
  return `<table><thead><tr><th>the test needs</th><th>bar</th><th>this run</th><th>met</th>` +
    `<th>applies</th><th>why the paper's setting meets it</th></tr></thead><tbody>${
      pre.map((p) =>
        `<tr><td>${esc(p.need)}</td><td>${esc(p.bar)}</td><td>${esc(fmt(p.value.value))}</td><td>${
          p.met ? "yes" : "<b>no</b>"
        }</td><td>${
          p.kind === "data" ? "when the rule's interval does not decide" : "always"
        }</td><td>${esc(p.paper)}</td></tr>`
      ).join("\n")
    }</tbody></table>`;
}

function indexPage(
  outcomes: ClaimOutcome[],
  inputs: ArtifactRef[],
  notes: string[],
  pages: ExtraPage[],
  setting: Measured[],
): string {
  const rows = outcomes.map((o) =>
    `<tr><td><a href="claims/${o.claim.id}.html">${esc(o.claim.id)}</a></td>` +
    `<td>${esc(o.claim.figure)}</td><td>${esc(o.claim.statement)}</td>` +
    `<td>${esc(o.claim.paperNumbers)}</td><td>${esc(o.result?.verdict.detail ?? "")}</td>` +
    `<td>${verdictBadge(o)}</td><td>${esc(whyLine(o))}</td></tr>`
  ).join("\n");
  const totals = OUTCOMES.map((v) => {
    const n = outcomes.filter((o) => o.result?.verdict.outcome === v).length;
    return `${badge(v)} ${n}`;
  });
  const unmeasured = outcomes.filter((o) => !o.result).length;
  if (unmeasured) totals.push(`<span class="verdict pending">not measured</span> ${unmeasured}`);
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
${settingBox(setting)}
<p>${totals.join(" &nbsp; ")}</p>
<table><thead><tr><th>claim</th><th>figure</th><th>the paper says</th><th>paper's numbers</th>` +
      `<th>ours</th><th>verdict</th><th>why not "holds"</th></tr></thead>
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
<h2>Definitions and decisions (reports/claims.md)</h2>
<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join("\n")}</ul>`,
  );
}

/** The setting of this run, so that no reader takes the synthetic world for the paper's. */
function settingBox(setting: Measured[]): string {
  if (!setting.length) return "";
  return `<div class="setting"><p><b>This run's setting</b> (the paper's: VGG-16 on Places365, ` +
    `224 px, 365 classes, 512 units at conv5_3; Progressive GANs with 512 units at layer4)</p>` +
    `<ul>${
      setting.map((m) => `<li>${esc(m.label)}: <b>${esc(fmt(m.value, m.unit))}</b></li>`).join("")
    }</ul><details><summary>SQL of these numbers</summary>${
      setting.map((m) => `<pre>${esc(m.sql)}</pre>`).join("")
    }</details></div>`;
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
  const v = r.verdict;
  const pre = r.preconditions?.length
    ? `<h3>Preconditions</h3>
<p>Conditions of the paper's own setting that a test of this claim needs. One unmet gives
"not testable here" (a condition on the amount of data only when the rule's interval does not
decide, since the interval already reflects it); the numbers above are shown either way.</p>
${preconditionsTable(r.preconditions)}`
    : "";
  const parts = r.parts?.length
    ? `<h3>Parts</h3>
${
      table(
        ["part", "verdict", "numbers"],
        r.parts.map((p) => [p.name, OUTCOME_TEXT[p.outcome], p.detail]),
      )
    }
<p class="muted">Parts combine by: ${esc(PARTS_RULE)}.</p>`
    : "";
  return page(
    `${c.id}: ${OUTCOME_TEXT[v.outcome]}`,
    `${head}
<h2>Ours</h2>
${valuesTable(r.values)}
<h2>Verdict</h2>
<p>${verdictBadge(o)} ${esc(v.detail)}</p>
${v.why ? `<p><b>Why:</b> ${esc(v.why)}</p>` : ""}
${
      v.rule
        ? `<p>The rule alone, applied to the measured numbers, says: ${
          badge(v.rule)
        } (not the verdict: a precondition is unmet).</p>`
        : ""
    }
${r.margin ? `<p class="margin-note"><b>Close call:</b> ${esc(r.margin)}.</p>` : ""}
<p><b>Rule</b> (fixed in <code>reports/claims/${esc(c.id)}.ts</code> before the run): ${
      esc(o.measure!.rule)
    }</p>
${parts}
${pre}
<h2>Figure</h2>
${r.figures.map(figureHtml).join("\n")}
${r.extraHtml ?? ""}
<h2>Provenance</h2>
${provenance(pageValues(r), usedInputs(pageValues(r), inputs))}`,
    { root: ".." },
  );
}

/** Every number a claim page shows: its values and its and its parts' preconditions' values, once each. */
export function pageValues(r: ClaimResult): Measured[] {
  const all = [
    ...r.values,
    ...[r.preconditions ?? [], ...(r.parts ?? []).map((p) => p.preconditions ?? [])].flat()
      .map((p) => p.value),
  ];
  return all.filter((v, i) => all.findIndex((w) => w.label === v.label && w.sql === v.sql) === i);
}

function provenance(values: Measured[], inputs: ArtifactRef[]): string {
  const sqls = values.map((v) =>
    `<details><summary>${esc(v.label)}: reads ${esc(v.tables.join(", "))}</summary><pre>${
      esc(v.sql)
    }</pre>${
      v.computedBy
        ? `<p class="muted">Computed in TypeScript from these rows by ${esc(v.computedBy)}.</p>`
        : ""
    }${v.ciMethod ? `<p class="muted">Interval: ${esc(v.ciMethod)}.</p>` : ""}</details>`
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
