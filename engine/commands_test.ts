import { assertEquals } from "../tests/assert.ts";
import { defaultConcurrency } from "./commands.ts";

Deno.test("default concurrency: one stage at a time locally, a core's worth of arrays with Slurm", () => {
  assertEquals(defaultConcurrency("local"), 1);
  assertEquals(defaultConcurrency("slurm"), Math.max(1, navigator.hardwareConcurrency));
});
