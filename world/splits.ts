/**
 * Deterministic enumeration of splits. Each item gets a 32-bit render seed
 * whose top 2 bits name the split and whose low 30 bits are a keyed bijection
 * of the index, so seeds never repeat within a split (below 2^30 items) and
 * the four splits can never share a seed.
 */

import { hash, Rng } from "./rng.ts";
import { FOCAL_OBJECTS, sceneId, scenesOf, type WorldVersion } from "./vocabulary.ts";

/** The world's splits. */
export const SPLITS = ["train", "val", "objects", "church"] as const;
/** A split. */
export type SplitName = typeof SPLITS[number];

/** One item of a split: its index, render seed and label. */
export interface SplitItem {
  index: number;
  /** Seed for the renderer. */
  seed: number;
  /** Index into labelSpace(split). */
  label: number;
}

const TAG: Record<SplitName, number> = { train: 0, val: 1, objects: 2, church: 3 };
const M30 = 0x3fffffff;

/** Label names of a split: the world's scene classes, or focal objects for "objects". */
export function labelSpace(split: SplitName, version: WorldVersion = 1): readonly string[] {
  return split === "objects" ? FOCAL_OBJECTS : scenesOf(version);
}

/** Keyed bijection on [0, 2^30): adds, odd multiplies and xor-shifts only. */
function permute30(x: number, key: number): number {
  const k1 = hash(key, 1) & M30, k2 = hash(key, 2) & M30;
  x = (x + k1) & M30;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d | 1) & M30;
  x ^= x >>> 12;
  x = (x + k2) & M30;
  x = Math.imul(x, 0x297a2d39 | 1) & M30;
  x ^= x >>> 15;
  return x;
}

/** Label of item `index`: each block of K consecutive items holds every label once. */
function balancedLabel(
  split: SplitName,
  index: number,
  seed: number,
  version: WorldVersion,
): number {
  if (split === "church") return sceneId("church_outdoor");
  const k = labelSpace(split, version).length;
  const block = Math.floor(index / k);
  const perm = new Rng(hash(seed, TAG[split], block, 0x51)).shuffle(
    Array.from({ length: k }, (_, i) => i),
  );
  return perm[index % k];
}

/** The item at one index (random access; no need to enumerate). */
export function splitItem(
  split: SplitName,
  index: number,
  seed: number,
  version: WorldVersion = 1,
): SplitItem {
  if (!Number.isInteger(index) || index < 0 || index > M30) {
    throw new Error(`split index out of range: ${index}`);
  }
  const itemSeed = ((TAG[split] << 30) | permute30(index, hash(seed, 0xd155))) >>> 0;
  return { index, seed: itemSeed, label: balancedLabel(split, index, seed, version) };
}

/** Items [0, count) of a split, balanced over labels. */
export function splitItems(
  split: SplitName,
  count: number,
  seed: number,
  version: WorldVersion = 1,
): SplitItem[] {
  return Array.from({ length: count }, (_, i) => splitItem(split, i, seed, version));
}
