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
import { exposeOutputsBench } from "./expose_outputs.ts";
import { verifyBench } from "./verify.ts";
import { sharding } from "./sharding.ts";
import { realScale } from "./real_scale.ts";

const BENCHMARKS: Benchmark[] = [
  digestCache,
  tableWriter,
  dissection,
  rankUnits,
  doorSweep,
  gradient,
  exposeOutputsBench,
  verifyBench,
  sharding,
  realScale,
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
    pass: r.ratios.every((q) => q.value <= q.max),
  });
}
if (!values.json) {
  console.log(
    "benchmark".padEnd(16) + "ratio".padEnd(40) + "value".padEnd(10) + "target".padEnd(16) +
      "metrics",
  );
  for (const r of results) {
    const metrics = Object.entries(r.metrics).map(([k, v]) => `${k}=${v.toPrecision(3)}`).join(" ");
    r.ratios.forEach((q, i) => {
      console.log(
        (i === 0 ? r.name : "").padEnd(16) + q.name.padEnd(40) + q.value.toFixed(3).padEnd(10) +
          `<= ${q.max}${q.value <= q.max ? "" : " MISSED"}`.padEnd(16) +
          (i === 0 ? " " + metrics : ""),
      );
    });
  }
}
console.log(JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
