/**
 * How a claim's numbers become a verdict, shared by every claim: the five
 * outcomes, preconditions (conditions of the paper's own setting that a test
 * of the claim needs), parts (a claim that says two things gets a verdict for
 * each) and the one test of an interval against a bar.
 */
import type { Measured } from "./measure.ts";

/** A verdict: the claim holds, partly holds, does not hold, cannot be tested here, or the data cannot decide. */
export type Outcome = "holds" | "partly" | "fails" | "untestable" | "inconclusive";

/** Every outcome, in the order the report counts them. */
export const OUTCOMES: readonly Outcome[] = [
  "holds",
  "partly",
  "fails",
  "untestable",
  "inconclusive",
];

/** How a page says an outcome. */
export const OUTCOME_TEXT: Record<Outcome, string> = {
  holds: "holds",
  partly: "partly holds",
  fails: "does not hold",
  untestable: "not testable here",
  inconclusive: "inconclusive",
};

/**
 * A condition of the paper's own setting that a test of the claim needs,
 * computed from the run's tables. `paper` says where the paper's setting
 * meets it (a quote or a trace to the paper's text); an unmet one makes the
 * verdict "not testable here", and the measured numbers are still shown.
 */
export interface Precondition {
  /** What the test needs, in words. */
  need: string;
  /** Why the paper's setting meets it: a quote from, or a trace to, the paper. */
  paper: string;
  /** The bar the value must meet, in words. */
  bar: string;
  /** The measured value, with the SQL it came from. */
  value: Measured;
  met: boolean;
  /**
   * "setting" (the default): a condition of the paper's setting, needed
   * whatever the numbers say. "data": enough data for the rule's interval;
   * needed only when that interval does not decide (the interval already
   * reflects how much data there is).
   */
  kind?: "setting" | "data";
}

/** One separable part of a claim, with its own verdict (its own preconditions applied). */
export interface Part {
  name: string;
  outcome: Outcome;
  detail: string;
  preconditions?: Precondition[];
  /** What the part's rule alone says when an unmet precondition overrides it. */
  rule?: Outcome;
}

/** A claim's verdict: the outcome, the numbers in words, and what the rule alone said. */
export interface Verdict {
  outcome: Outcome;
  detail: string;
  /** What the rule says of the measured numbers when an unmet precondition overrides it. */
  rule?: Outcome;
  /** One line of why, for anything but "holds": the failing precondition or parts. */
  why?: string;
}

/** Which side of a bar an interval must lie on, and whether touching the bar counts. */
export interface Bar {
  bar: number;
  /** `above`: the claim holds when the interval lies above the bar; `below`: below it. */
  side: "above" | "below";
  /** Whether an end equal to the bar counts as beyond it. */
  inclusive: boolean;
}

/** An interval, as the bootstrap gives it or as a page's number carries it. */
export type Span = { lo: number; hi: number } | readonly [number, number];

/** Whether the whole interval lies beyond the bar on its side (never, when it does not exist). */
export function beyond(ci: Span, b: Bar): boolean {
  const [lo, hi] = "lo" in ci ? [ci.lo, ci.hi] : ci;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return false;
  if (b.side === "above") return b.inclusive ? lo >= b.bar : lo > b.bar;
  return b.inclusive ? hi <= b.bar : hi < b.bar;
}

/**
 * An interval against a bar: holds when it lies wholly beyond the bar,
 * does not hold when it lies wholly on the other side (strictly), and is
 * inconclusive when it straddles the bar (or does not exist).
 */
export function intervalOutcome(ci: Span, b: Bar): Outcome {
  if (beyond(ci, b)) return "holds";
  const other: Bar = { bar: b.bar, side: b.side === "above" ? "below" : "above", inclusive: false };
  return beyond(ci, other) ? "fails" : "inconclusive";
}

/** The bar of a one-sided rule in words: "lies above 0", "lies at or below -0.2". */
export function barText(b: Bar): string {
  return `lies ${b.inclusive ? "at or " : ""}${b.side} ${b.bar}`;
}

/** How parts combine into the claim's verdict, as every page with parts states it. */
export const PARTS_RULE = "every part holds: holds; some part holds: partly holds; no part " +
  "holds and some part does not hold: does not hold; otherwise not testable here when a part " +
  "is not testable, else inconclusive";

/** The claim's outcome from its parts' outcomes (PARTS_RULE). */
export function combineParts(parts: readonly { outcome: Outcome }[]): Outcome {
  const has = (o: Outcome) => parts.some((p) => p.outcome === o);
  if (parts.length === 0) throw new Error("a claim with parts needs at least one");
  if (parts.every((p) => p.outcome === "holds")) return "holds";
  if (has("holds") || has("partly")) return "partly";
  if (has("fails")) return "fails";
  return has("untestable") ? "untestable" : "inconclusive";
}

/** Whether an unmet precondition overrides a rule's outcome (see Precondition.kind). */
export function overrides(p: Precondition, outcome: Outcome): boolean {
  return !p.met && (p.kind !== "data" || outcome === "inconclusive");
}

/** The overriding preconditions in one line: need, value and bar. */
export function unmetText(preconditions: readonly Precondition[]): string {
  return preconditions.map((p) => `${p.need}: ${valueText(p.value.value)} (needs ${p.bar})`).join(
    "; ",
  );
}

function valueText(v: number | string | null): string {
  if (v === null) return "n/a";
  if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(3);
  return String(v);
}

/**
 * A rule's outcome under preconditions: any unmet one makes it "not testable
 * here" (the rule's own outcome is kept as `rule`, and the numbers stay on
 * the page). Applies to a whole claim or to one part.
 */
export function settle(
  outcome: Outcome,
  detail: string,
  preconditions: readonly Precondition[] = [],
  /** Why the rule does not hold, in one line (kept only when it does not). */
  why?: string,
): Verdict {
  const unmet = preconditions.filter((p) => overrides(p, outcome));
  if (unmet.length) {
    return {
      outcome: "untestable",
      detail,
      rule: outcome,
      why: `not testable here: ${unmetText(unmet)}`,
    };
  }
  return outcome === "holds" || !why ? { outcome, detail } : { outcome, detail, why };
}

/** A part's verdict, its own preconditions applied. */
export function part(
  name: string,
  outcome: Outcome,
  detail: string,
  preconditions: Precondition[] = [],
): Part {
  const v = settle(outcome, detail, preconditions);
  return { name, outcome: v.outcome, detail, preconditions, ...(v.rule && { rule: v.rule }) };
}

/** A claim's verdict from its parts (PARTS_RULE), then its own preconditions. */
export function fromParts(
  parts: readonly Part[],
  detail: string,
  preconditions: readonly Precondition[] = [],
): Verdict {
  const combined = combineParts(parts);
  const v = settle(combined, detail, preconditions);
  if (v.why || combined === "holds") return v;
  const notHolding = parts.filter((p) => p.outcome !== "holds");
  return {
    ...v,
    why: notHolding.map((p) =>
      `${p.name}: ${OUTCOME_TEXT[p.outcome]}${p.detail ? ` (${p.detail})` : ""}`
    ).join("; "),
  };
}
