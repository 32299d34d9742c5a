/** Planning with a warm digest cache must not rehash large model files. */
import { join } from "node:path";
import { DigestCache } from "../engine/file_digest.ts";
import { type Benchmark, timeIt } from "./harness.ts";

/** Digest cache: a cached (path, size, mtime) lookup against hashing the file. */
export const digestCache: Benchmark = {
  name: "digest-cache",
  description: "digest of a 64 MiB file: cached (path, size, mtime) lookup vs full hash",
  async run() {
    const dir = await Deno.makeTempDir();
    const file = join(dir, "model.onnx");
    const block = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 255);
    using f = await Deno.open(file, { write: true, create: true });
    for (let i = 0; i < 64; i++) await f.write(block);
    const cachePath = join(dir, "digests.json");
    const cold = await timeIt(async () => {
      await Deno.remove(cachePath).catch(() => {});
      const c = await DigestCache.open(cachePath);
      await c.digest(file, "bench");
      await c.save();
    });
    const warm = await timeIt(async () => {
      const c = await DigestCache.open(cachePath);
      await c.digest(file, "bench");
    }, 5);
    await Deno.remove(dir, { recursive: true });
    return {
      metrics: { cold_s: cold, warm_s: warm, hash_mib_per_s: 64 / cold },
      ratios: [{ name: "warm / cold", value: warm / cold, max: 0.05 }],
    };
  },
};
