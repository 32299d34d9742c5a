/**
 * deno task bench [--only NAME] [--json]: runs the benchmarks, prints a table
 * and a JSON document (the JSON alone with --json).
 */
import { parseArgs } from "node:util";
import type { Benchmark, BenchResult } from "./harness.ts";
import { digestCache } from "./digest_cache.ts";
import { tableWriter } from "./table_writer.ts";
import { dissection } from "./dissection.ts";
import { rankUnits } from "./rank_units.ts";
import { doorSweep } from "./door_sweep.ts";
import { gradient } from "./gradient.ts";

const BENCHMARKS: Benchmark[] = [
  digestCache,
  tableWriter,
  dissection,
  rankUnits,
  doorSweep,
  gradient,
];

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, json: { type: "boolean" } },
});
const chosen = BENCHMARKS.filter((b) => !values.only || b.name === values.only);
if (chosen.length === 0) {
  console.error(`no benchmark "${values.only}"; have: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
  Deno.exit(2);
}
const results: (BenchResult & { name: string; description: string; pass?: boolean })[] = [];
for (const b of chosen) {
  if (!values.json) console.error(`running ${b.name}: ${b.description}`);
  const r = await b.run();
  results.push({
    name: b.name,
    description: b.description,
    ...r,
    pass: r.ratio && r.ratio.value <= r.ratio.max,
  });
}
if (!values.json) {
  console.log(
    "benchmark".padEnd(16) + "ratio".padEnd(22) + "value".padEnd(10) + "target".padEnd(10) +
      "metrics",
  );
  for (const r of results) {
    const metrics = Object.entries(r.metrics).map(([k, v]) => `${k}=${v.toPrecision(3)}`).join(" ");
    console.log(
      r.name.padEnd(16) + (r.ratio?.name ?? "").padEnd(22) +
        (r.ratio ? r.ratio.value.toFixed(3) : "").padEnd(10) +
        (r.ratio ? `<= ${r.ratio.max}${r.pass ? "" : " MISSED"}` : "").padEnd(10) + " " + metrics,
    );
  }
}
console.log(JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
