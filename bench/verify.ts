/**
 * What trusting no artifact costs, on the default store: rehashing every
 * file (verify) against reading each file once, and a warm no-op reproduce
 * with the size check of every reused artifact against one that trusts a
 * manifest's presence, as the store did before it listed its files.
 */
import { dirname, join } from "node:path";
import { reproduce, verify } from "../engine/commands.ts";
import { Store } from "../engine/store.ts";
import type { Inspection } from "../engine/integrity.ts";
import { type Benchmark, type BenchResult, timeIt } from "./harness.ts";
import { pipelineRuns } from "./pipeline_run.ts";

async function readAll(dir: string): Promise<number> {
  let bytes = 0;
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) bytes += await readAll(p);
    else {
      using f = await Deno.open(p);
      for await (const chunk of f.readable) bytes += chunk.length;
    }
  }
  return bytes;
}

/** Full verification and the warm run's size check, against reading and trusting. */
export const verifyBench: Benchmark = {
  name: "verify",
  description: "world v1's full store: verify vs reading every file once; warm reproduce with " +
    "vs without the size check",
  async run() {
    let result: BenchResult | undefined;
    // World v1's run (a few minutes) rather than the default's (world v2, several times as long).
    await pipelineRuns({ world: { version: 1 } }, [[]], async ([run]) => {
      const store = dirname(dirname(dirname(Object.values(run.dirs)[0])));
      const objects = join(store, "objects");
      let bytes = 0;
      const read = await timeIt(async () => (bytes = await readAll(objects)));
      const full = await timeIt(() => verify({ store }));
      const quiet = { store, log: () => {}, progress: { quiet: true } };
      const checked = await timeIt(() => reproduce(quiet), 5);
      const inspect = Store.prototype.inspect;
      Store.prototype.inspect = async function (stage: string, key: string): Promise<Inspection> {
        const manifest = await this.manifest(stage, key);
        return manifest ? { state: "ok", manifest } : { state: "absent" };
      };
      let trusting: number;
      try {
        trusting = await timeIt(() => reproduce(quiet), 5);
      } finally {
        Store.prototype.inspect = inspect;
      }
      result = {
        metrics: {
          store_mib: bytes / 2 ** 20,
          read_s: read,
          verify_s: full,
          warm_checked_s: checked,
          warm_trusting_s: trusting,
        },
        ratios: [
          { name: "verify / read once", value: full / read, max: 1.5 },
          { name: "warm run: size check / trusting", value: checked / trusting, max: 1.2 },
        ],
      };
    });
    return result!;
  },
};
