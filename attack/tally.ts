/**
 * A C&W campaign split into shards. Its items are batches of attacks, not
 * images: the attack optimizes a batch at once, so a shard's batches start
 * where the unsplit campaign's do and every image is attacked beside the
 * same others. Each shard leaves a tally (its counts and its first
 * successful attacks) that merges into the unsplit campaign's log line and
 * figure.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { sha256 } from "../engine/hash.ts";
import type { ItemRange } from "../engine/shard.ts";
import type { AttackedImage } from "./campaign.ts";
import type { AttackExample } from "./figure.ts";
import { batchSpan } from "../data/open.ts";

/** The attacks of a campaign, in order: the image, its class and the class it is pushed toward. */
export interface Chosen {
  images: number[];
  source: number[];
  target: number[];
}

/** The attacks of batches [start, end) of a campaign run `batch` at a time. */
export function batchSlice(chosen: Chosen, range: ItemRange, batch: number): Chosen {
  const { start, end } = batchSpan(range, batch, chosen.images.length);
  const cut = (a: number[]) => a.slice(start, end);
  return { images: cut(chosen.images), source: cut(chosen.source), target: cut(chosen.target) };
}

/** A successful attack kept for the figure: its classes choose the units drawn. */
export interface KeptAttack {
  source: number;
  target: number;
  example: Omit<AttackExample, "units">;
}

/** What a tally file holds besides the kept attacks' arrays (in the float32 file, in order). */
interface TallyFile {
  chosen: string;
  attacks: number;
  successes: number;
  evaluations: number;
  kept: { source: number; target: number; h: number; w: number; lengths: number[] }[];
}

const TALLY = "tally.json", ARRAYS = "kept.f32";

/** What a campaign, or a shard of one, counted, and its first successful attacks. */
export class CampaignTally {
  attacks = 0;
  successes = 0;
  evaluations = 0;
  readonly kept: KeptAttack[] = [];

  /**
   * @param limit successful attacks kept (the figure's examples)
   * @param chosen digest of the whole campaign's attacks: shards that chose differently do not merge
   */
  constructor(readonly limit: number, readonly chosen: string) {}

  /** An empty tally of a campaign of `chosen` attacks, keeping `limit` successes. */
  static of(chosen: Chosen, limit: number): CampaignTally {
    return new CampaignTally(limit, sha256(JSON.stringify(chosen)));
  }

  /** Counts a batch's attacks, in order, keeping successes until `limit` are kept. */
  add(batch: { attacked: readonly AttackedImage[]; evaluations: number }): void {
    this.evaluations += batch.evaluations;
    for (const a of batch.attacked) {
      this.attacks++;
      if (!a.success) continue;
      this.successes++;
      if (this.kept.length < this.limit) {
        this.kept.push({ source: a.source, target: a.target, example: a.example });
      }
    }
  }

  /** The kept attacks as the figure draws them: with the top units of the source class, then the target's. */
  examples(ranking: ReadonlyMap<number, readonly number[]>): AttackExample[] {
    return this.kept.map((k) => ({
      ...k.example,
      units: [...(ranking.get(k.source) ?? []), ...(ranking.get(k.target) ?? [])],
    }));
  }

  /** Saves the tally into a folder: counts as JSON, the kept attacks' arrays as raw float32. */
  async write(dir: string): Promise<void> {
    const arrays = this.kept.flatMap(({ example: e }) => [
      e.original,
      e.adversarial,
      e.before,
      e.after,
    ]);
    const file: TallyFile = {
      chosen: this.chosen,
      attacks: this.attacks,
      successes: this.successes,
      evaluations: this.evaluations,
      kept: this.kept.map(({ source, target, example: e }) => ({
        source,
        target,
        h: e.h,
        w: e.w,
        lengths: [e.original, e.adversarial, e.before, e.after].map((a) => a.length),
      })),
    };
    const flat = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      flat.set(a, at);
      at += a.length;
    }
    await Deno.writeFile(join(dir, ARRAYS), new Uint8Array(flat.buffer));
    await Deno.writeTextFile(join(dir, TALLY), JSON.stringify(file));
  }

  /** A tally saved by `write`, keeping `limit` successes. */
  static async read(dir: string, limit: number): Promise<CampaignTally> {
    const file: TallyFile = JSON.parse(await Deno.readTextFile(join(dir, TALLY)));
    const bytes = await Deno.readFile(join(dir, ARRAYS));
    const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const out = new CampaignTally(limit, file.chosen);
    out.attacks = file.attacks;
    out.successes = file.successes;
    out.evaluations = file.evaluations;
    let at = 0;
    const next = (n: number) => flat.subarray(at, at += n);
    for (const { source, target, h, w, lengths: [o, a, b, f] } of file.kept) {
      const example = { original: next(o), adversarial: next(a), before: next(b), after: next(f) };
      out.kept.push({ source, target, example: { ...example, h, w } });
    }
    if (at !== flat.length) throw new Error(`${dir}/${ARRAYS} does not match ${TALLY}`);
    return out;
  }

  /**
   * The tallies of a campaign's shards, in shard order, as one: counts add,
   * and the first `limit` successes over the shards are kept, as one pass
   * over all batches keeps them.
   */
  static async merge(dirs: readonly string[], limit: number): Promise<CampaignTally> {
    let out: CampaignTally | undefined;
    for (const [i, dir] of dirs.entries()) {
      const part = await CampaignTally.read(dir, limit);
      out ??= new CampaignTally(limit, part.chosen);
      if (part.chosen !== out.chosen) {
        throw new DissectError(
          "PIPELINE",
          `shard ${i + 1} of ${dirs.length} chose other images to attack than shard 1`,
          "the classifier answered differently in two shards (other hardware?); " +
            "run the stage in one shard",
        );
      }
      out.attacks += part.attacks;
      out.successes += part.successes;
      out.evaluations += part.evaluations;
      out.kept.push(...part.kept.slice(0, limit - out.kept.length));
    }
    if (!out) throw new Error("a campaign merges at least one shard");
    return out;
  }
}
