/**
 * CLI: render a split to disk in the dissect-world-split/1 format.
 * deno run -A world/export.ts --split train --count 24000 --seed 1 --size 64 [--world 2] --out DIR
 */

import { parseArgs } from "node:util";
import { SplitWriter } from "../data/split_format.ts";
import { renderItem } from "./render.ts";
import { labelSpace, splitItem, type SplitName, SPLITS } from "./splits.ts";
import { GROUND_TRUTH_LABELS, WORLD_VERSIONS, type WorldVersion } from "./vocabulary.ts";

function intArg(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
  }
  return n;
}

/** Renders a split to a folder in the split format. */
export function exportSplit(
  split: SplitName,
  count: number,
  seed: number,
  size: number,
  out: string,
  log: (line: string) => void = () => {},
  version: WorldVersion = 1,
): void {
  const w = new SplitWriter(out, {
    split,
    height: size,
    width: size,
    seed,
    labels: labelSpace(split, version),
    groundTruth: GROUND_TRUTH_LABELS,
  });
  const t0 = performance.now();
  const every = Math.max(1, Math.floor(count / 20));
  for (let i = 0; i < count; i++) {
    w.append(renderItem(split, splitItem(split, i, seed, version), size, version));
    if ((i + 1) % every === 0 || i + 1 === count) {
      const s = (performance.now() - t0) / 1000;
      log(`${split}: ${i + 1}/${count} images, ${((i + 1) / s).toFixed(0)} img/s`);
    }
  }
  w.finalize();
  log(`${split}: wrote ${count} images to ${out}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      split: { type: "string" },
      count: { type: "string" },
      seed: { type: "string", default: "1" },
      size: { type: "string", default: "64" },
      out: { type: "string" },
      world: { type: "string", default: "1" },
    },
  });
  const split = values.split as SplitName;
  if (!SPLITS.includes(split)) throw new Error(`--split must be one of ${SPLITS.join(", ")}`);
  if (!values.out) throw new Error("--out DIR is required");
  const version = Number(values.world) as WorldVersion;
  if (!WORLD_VERSIONS.includes(version)) {
    throw new Error(`--world must be one of ${WORLD_VERSIONS.join(", ")}, got ${values.world}`);
  }
  exportSplit(
    split,
    intArg("count", values.count, 0),
    intArg("seed", values.seed, 0),
    intArg("size", values.size, 16),
    values.out,
    console.log,
    version,
  );
}
