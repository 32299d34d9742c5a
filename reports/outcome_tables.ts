/**
 * The report's tables: every claim's verdict (`claims`), every number its
 * page shows with the SQL behind it (`claim_values`), and what each test
 * needs of the setting with the run's value (`preconditions`), as rows built
 * from the claims' outcomes.
 */
import type { ClaimOutcome } from "./build.ts";
import { pageValues } from "./build.ts";

/** One row per claim: its verdict. */
export const CLAIMS_TABLE = {
  claim: "VARCHAR",
  /** holds, partly, fails, untestable, inconclusive; or error, not yet measured. */
  status: "VARCHAR",
  rule: "VARCHAR",
  detail: "VARCHAR",
  /** For anything but "holds": the failing precondition or parts, in one line. */
  why: "VARCHAR",
  /** What the rule alone says when an unmet precondition makes the claim untestable. */
  rule_outcome: "VARCHAR",
} as const;

/** One row per number a claim page shows. */
export const CLAIM_VALUES_TABLE = {
  claim: "VARCHAR",
  label: "VARCHAR",
  value: "VARCHAR",
  lo: "DOUBLE",
  hi: "DOUBLE",
  /** "null": lo to hi is the middle 95% of a permutation null, not a confidence interval. */
  ci_kind: "VARCHAR",
  sql: "VARCHAR",
  tables: "VARCHAR",
} as const;

/**
 * One row per precondition of a claim or of one of its parts, as its measure
 * returned them; a measure that stops for want of data (inconclusive: too few
 * images of a kind) returns none.
 */
export const PRECONDITIONS_TABLE = {
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
} as const;

const text = (v: number | string | null) => v === null ? null : String(v);

/** The claims row of an outcome. */
export function claimRow(o: ClaimOutcome) {
  return {
    claim: o.claim.id,
    status: o.result ? o.result.verdict.outcome : o.failed ? "error" : "not yet measured",
    rule: o.measure?.rule ?? null,
    detail: o.result?.verdict.detail ?? o.missing ?? null,
    why: o.result?.verdict.why ?? null,
    rule_outcome: o.result?.verdict.rule ?? null,
  };
}

/** The claim_values rows of an outcome: every number its page shows, once each. */
export function valueRows(o: ClaimOutcome) {
  return (o.result ? pageValues(o.result) : []).map((v) => ({
    claim: o.claim.id,
    label: v.label,
    value: text(v.value),
    lo: v.ci?.[0] ?? null,
    hi: v.ci?.[1] ?? null,
    ci_kind: v.ciKind ?? null,
    sql: v.sql,
    tables: v.tables.join(","),
  }));
}

/** The preconditions rows of an outcome: the claim's, then each part's. */
export function preconditionRows(o: ClaimOutcome) {
  const r = o.result;
  const sets = [
    { part: null as string | null, pre: r?.preconditions ?? [] },
    ...(r?.parts ?? []).map((p) => ({ part: p.name as string | null, pre: p.preconditions ?? [] })),
  ];
  return sets.flatMap(({ part, pre }) =>
    pre.map((c) => ({
      claim: o.claim.id,
      part,
      need: c.need,
      bar: c.bar,
      value: text(c.value.value),
      met: c.met,
      kind: c.kind ?? "setting",
      paper: c.paper,
    }))
  );
}
