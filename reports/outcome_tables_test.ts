import { assertEquals } from "../tests/assert.ts";
import type { ClaimOutcome } from "./build.ts";
import type { Measured } from "./measure.ts";
import type { Precondition } from "./verdict.ts";
import { claimRow, preconditionRows, valueRows } from "./outcome_tables.ts";

const claim = { id: "C9", figure: "3f", statement: "", paperNumbers: "", stages: "" };
const measured = (label: string, value: number | null, sql = `SELECT ${value}`): Measured => ({
  label,
  value,
  sql,
  tables: ["a", "b"],
});
const pre = (need: string, value: number, met: boolean, kind?: "data"): Precondition => ({
  need,
  paper: "p",
  bar: "at least 20",
  value: measured(need, value),
  met,
  ...(kind && { kind }),
});

Deno.test("an untestable claim's rows: verdict, every number once, and each precondition with its part", () => {
  const o: ClaimOutcome = {
    claim,
    measure: { rule: "r" } as ClaimOutcome["measure"],
    result: {
      values: [measured("accuracy", 0.78), measured("with the concept", 1)],
      verdict: { outcome: "untestable", detail: "d", rule: "inconclusive", why: "w" },
      preconditions: [pre("with the concept", 1, false, "data")],
      parts: [{
        name: "side",
        outcome: "holds",
        detail: "",
        preconditions: [pre("units", 4, true)],
      }],
      figures: [],
    },
  };
  assertEquals(claimRow(o), {
    claim: "C9",
    status: "untestable",
    rule: "r",
    detail: "d",
    why: "w",
    rule_outcome: "inconclusive",
  });
  // The precondition repeating a value is one row; the part's precondition value is there too.
  assertEquals(valueRows(o).map((v) => [v.label, v.value, v.tables]), [
    ["accuracy", "0.78", "a,b"],
    ["with the concept", "1", "a,b"],
    ["units", "4", "a,b"],
  ]);
  assertEquals(preconditionRows(o).map((r) => [r.part, r.need, r.value, r.met, r.kind]), [
    [null, "with the concept", "1", false, "data"],
    ["side", "units", "4", true, "setting"],
  ]);
});

Deno.test("a claim whose measure failed, or was never run, has a status and no numbers", () => {
  const failed: ClaimOutcome = { claim, missing: "boom", failed: true };
  assertEquals([claimRow(failed).status, claimRow(failed).detail], ["error", "boom"]);
  const absent: ClaimOutcome = { claim, missing: "needs iou-gan" };
  assertEquals(claimRow(absent).status, "not yet measured");
  assertEquals([valueRows(absent), preconditionRows(absent)], [[], []]);
});
