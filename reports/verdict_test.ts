import { assert, assertEquals } from "../tests/assert.ts";
import type { Measured } from "./measure.ts";
import {
  beyond,
  combineParts,
  fromParts,
  intervalOutcome,
  type Outcome,
  part,
  type Precondition,
  settle,
} from "./verdict.ts";

Deno.test("an interval against a bar: the inclusive choice decides only an end on the bar", () => {
  const above = { bar: 0.7, side: "above", inclusive: true } as const;
  assert(beyond([0.7, 0.9], above));
  assert(!beyond([0.7, 0.9], { ...above, inclusive: false }));
  assert(beyond({ lo: -0.5, hi: -0.2 }, { bar: -0.2, side: "below", inclusive: true }));
  assert(!beyond({ lo: -0.5, hi: -0.2 }, { bar: -0.2, side: "below", inclusive: false }));
  // An interval that does not exist lies beyond nothing.
  assert(!beyond([NaN, NaN], above));
  assertEquals(intervalOutcome([0.71, 0.9], above), "holds");
  assertEquals(intervalOutcome([0.5, 0.69], above), "fails");
  // Touching the bar from below is not "below it" for a rule that holds above.
  assertEquals(intervalOutcome([0.5, 0.7], { ...above, inclusive: false }), "inconclusive");
  assertEquals(intervalOutcome([0.6, 0.8], above), "inconclusive");
  assertEquals(intervalOutcome([NaN, NaN], above), "inconclusive");
});

Deno.test("parts combine by the stated rule", () => {
  const of = (...o: Outcome[]) => combineParts(o.map((outcome) => ({ outcome })));
  assertEquals(of("holds", "holds"), "holds");
  assertEquals(of("holds", "fails"), "partly");
  assertEquals(of("holds", "untestable"), "partly");
  assertEquals(of("fails", "inconclusive"), "fails");
  assertEquals(of("untestable", "inconclusive"), "untestable");
  assertEquals(of("inconclusive", "inconclusive"), "inconclusive");
});

const measured = (value: number): Measured => ({ label: "x", value, sql: "SELECT 1", tables: [] });
const pre = (met: boolean): Precondition => ({
  need: "images with the concept",
  paper: "the paper had 1,000",
  bar: "at least 20",
  value: measured(met ? 25 : 18),
  met,
});

Deno.test("an unmet precondition makes a claim not testable, keeping what the rule said", () => {
  assertEquals(settle("fails", "d", [pre(true)]), { outcome: "fails", detail: "d" });
  const v = settle("holds", "d", [pre(true), pre(false)]);
  assertEquals(v.outcome, "untestable");
  assertEquals(v.rule, "holds");
  assertEquals(v.why, "not testable here: images with the concept: 18 (needs at least 20)");
});

Deno.test("a claim from parts names the parts that do not hold; a part has its own preconditions", () => {
  const v = fromParts([part("source", "holds", ""), part("target", "fails", "")], "d");
  assertEquals([v.outcome, v.why], ["partly", "target: does not hold"]);
  const p = part("removal", "holds", "", [pre(false)]);
  assertEquals(p.outcome, "untestable");
  assertEquals(fromParts([p, part("keep", "holds", "")], "d").outcome, "partly");
  assertEquals(fromParts([part("a", "holds", "")], "d", [pre(false)]).outcome, "untestable");
});

Deno.test("a data precondition overrides only a rule whose interval does not decide", () => {
  const few: Precondition = { ...pre(false), kind: "data" };
  assertEquals(settle("holds", "d", [few]).outcome, "holds");
  assertEquals(settle("fails", "d", [few]).outcome, "fails");
  const v = settle("inconclusive", "d", [few]);
  assertEquals([v.outcome, v.rule], ["untestable", "inconclusive"]);
  // A setting precondition overrides whatever the rule says.
  assertEquals(settle("holds", "d", [{ ...pre(false), kind: "setting" }]).outcome, "untestable");
});
