/**
 * Contact sheet for eyeballing the world: one row per label, each cell the
 * image beside a false-color map (object, part, material, halfbox or color).
 * Usage: deno run -A world/preview.ts --split train --per 6 --map object --out /tmp/sheet.png
 */

import { parseArgs } from "node:util";
import { colorMap } from "../dissection/colors.ts";
import { encodePng } from "../data/png.ts";
import { renderItem } from "./render.ts";
import { hash } from "./rng.ts";
import { labelSpace, splitItem, type SplitName, SPLITS } from "./splits.ts";
import type { WorldVersion } from "./vocabulary.ts";

type MapName = "object" | "part" | "material" | "halfbox" | "color";

/** A stable false color for a label id (0 is black). */
export function falseColor(id: number): [number, number, number] {
  if (id === 0) return [0, 0, 0];
  const h = hash(id, 77);
  return [64 + (h & 191), 64 + ((h >>> 8) & 191), 64 + ((h >>> 16) & 191)];
}

/** Build the sheet as RGB bytes; returns [bytes, width, height]. */
export function contactSheet(
  split: SplitName,
  per: number,
  size: number,
  seed: number,
  map: MapName,
  scale = 2,
  only: readonly string[] = [],
  version: WorldVersion = 1,
): [Uint8Array, number, number] {
  const all = split === "church" ? ["church"] : labelSpace(split, version);
  // Rows shown: all labels, or just those named in `only`.
  const labels = only.length ? all.filter((l) => only.includes(l)) : all;
  const cell = size * scale, gap = 2;
  const W = per * (2 * cell + gap) + gap, H = labels.length * (cell + gap) + gap;
  const out = new Uint8Array(W * H * 3).fill(255);
  const found = labels.map(() => 0);
  for (let i = 0; found.some((f) => f < per) && i < per * labels.length * 20; i++) {
    const item = splitItem(split, i, seed, version);
    const row = labels.indexOf(all[split === "church" ? 0 : item.label]);
    if (row < 0 || found[row] >= per) continue;
    const r = renderItem(split, item, size, version);
    const mapData = map === "color" ? colorMap(r.rgb) : r[map];
    const ox = gap + found[row] * (2 * cell + gap), oy = gap + row * (cell + gap);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const si = Math.floor(y / scale) * size + Math.floor(x / scale);
        const o1 = 3 * ((oy + y) * W + ox + x), o2 = o1 + 3 * cell;
        out.set(r.rgb.subarray(3 * si, 3 * si + 3), o1);
        out.set(falseColor(mapData[si] + (map === "color" ? 1 : 0)), o2);
      }
    }
    found[row]++;
  }
  return [out, W, H];
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      split: { type: "string", default: "train" },
      per: { type: "string", default: "6" },
      size: { type: "string", default: "64" },
      seed: { type: "string", default: "1" },
      map: { type: "string", default: "object" },
      scale: { type: "string", default: "2" },
      out: { type: "string", default: "/tmp/world_sheet.png" },
      only: { type: "string", default: "" },
      world: { type: "string", default: "1" },
    },
  });
  const split = values.split as SplitName;
  if (!SPLITS.includes(split)) throw new Error(`unknown split ${split}`);
  const [rgb, w, h] = contactSheet(
    split,
    Number(values.per),
    Number(values.size),
    Number(values.seed),
    values.map as MapName,
    Number(values.scale),
    values.only ? values.only.split(",") : [],
    Number(values.world) as WorldVersion,
  );
  Deno.writeFileSync(values.out!, encodePng(rgb, w, h));
  console.log(`wrote ${values.out} (${w}x${h})`);
}
