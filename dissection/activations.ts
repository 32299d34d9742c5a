/**
 * Activation files: one raw float32 file per layer, [images][units][h][w],
 * written image batch by image batch and read back the same way, so no stage
 * ever holds a layer's activations for the whole data set in memory.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { joinFiles } from "../data/join_files.ts";

/** A stored layer: its name, units and map size. */
export interface LayerShape {
  layer: string;
  units: number;
  height: number;
  width: number;
}

/** What an activations artifact holds: how many images, which layers, which of them stored. */
export interface ActivationsMeta {
  count: number;
  layers: LayerShape[];
  /** The layers with a file; the others are computed again (dissection/recompute.ts). All when absent. */
  stored?: string[];
}

const META = "activations.json";

/**
 * The file a layer's activations are stored in. Tensor names may hold
 * anything (a torch export names layers "/features/features.8/Relu_output_0"),
 * so every character but letters, digits, "_", "-" and a "." that does not
 * lead is written as %XX: the name stays readable, and two layers never
 * share a file.
 */
export function layerFile(layer: string): string {
  const safe = [...new TextEncoder().encode(layer)].map((b, i) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9_-]/.test(c) || (c === "." && i > 0)
      ? c
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
  return `${safe}.f32`;
}

/** Writes activations.json beside the layers' files. */
export function writeActivationsMeta(dir: string, meta: ActivationsMeta): Promise<void> {
  return Deno.writeTextFile(join(dir, META), JSON.stringify(meta, null, 2) + "\n");
}

/**
 * The activations a dissection reads, a batch of images at a time: stored
 * files (ActivationReader), or the model run again for the layers that were
 * not stored (dissection/recompute.ts). Either gives the same numbers.
 */
export interface Activations {
  readonly meta: ActivationsMeta;
  /** A layer's shape; an error naming the layers there are when it has none. */
  shape(layer: string): LayerShape;
  /**
   * Activations of images [start, end) of each of `layers`, in that order,
   * to be read, not written: into the front of `into[k]` when it is long
   * enough, or views of what a reader computed (read the returned arrays).
   */
  read(
    layers: readonly string[],
    start: number,
    end: number,
    into?: readonly (Float32Array | undefined)[],
  ): Promise<Float32Array[]>;
  /** Releases what reading opened (a model session). */
  close(): Promise<void>;
}

/** Reads stored activations, a batch of images at a time. */
export class ActivationReader implements Activations {
  readonly meta: ActivationsMeta;

  constructor(readonly dir: string) {
    try {
      this.meta = JSON.parse(Deno.readTextFileSync(join(dir, META)));
    } catch (e) {
      throw new DissectError("DATA", `${dir} holds no activations (${(e as Error).message})`);
    }
  }

  shape(layer: string): LayerShape {
    const s = this.meta.layers.find((l) => l.layer === layer);
    if (!s) {
      throw new DissectError(
        "DATA",
        `no activations of layer "${layer}" in ${this.dir}`,
        `layers: ${this.meta.layers.map((l) => l.layer).join(", ")}`,
      );
    }
    return s;
  }

  read(
    layers: readonly string[],
    start: number,
    end: number,
    into?: readonly (Float32Array | undefined)[],
  ): Promise<Float32Array[]> {
    return Promise.resolve(layers.map((l, k) => this.readLayer(l, start, end, into?.[k])));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Activations of images [start, end) of one layer; into the front of `into`
   * when given (passes over a layer reuse one buffer instead of allocating
   * and zeroing a new one per batch).
   */
  readLayer(layer: string, start: number, end: number, into?: Float32Array): Float32Array {
    const s = this.shape(layer);
    if (this.meta.stored && !this.meta.stored.includes(layer)) {
      throw new DissectError(
        "DATA",
        `layer "${layer}" of ${this.dir} was not stored (over the disk budget)`,
        "read it through openActivations, which computes it again",
      );
    }
    const per = s.units * s.height * s.width;
    const length = (end - start) * per;
    const out = into && into.length >= length ? into.subarray(0, length) : new Float32Array(length);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const f = Deno.openSync(join(this.dir, layerFile(layer)), { read: true });
    try {
      f.seekSync(start * per * 4, Deno.SeekMode.Start);
      let got = 0;
      while (got < bytes.length) {
        const n = f.readSync(bytes.subarray(got));
        if (!n) throw new DissectError("DATA", `${this.dir}/${layer}.f32 is truncated`);
        got += n;
      }
    } finally {
      f.close();
    }
    return out;
  }
}

/**
 * Joins the activations of consecutive image ranges (shards, in order) into
 * `dir`: each stored layer's file is the parts' files end to end, the first
 * moved rather than copied. The parts must hold the same layers and shapes.
 */
export async function joinActivations(
  dir: string,
  parts: { dir: string; meta: ActivationsMeta }[],
): Promise<ActivationsMeta> {
  const first = parts.find((p) => p.meta.layers.length)?.meta;
  const layers = first?.layers ?? [];
  const stored = first?.stored ?? layers.map((l) => l.layer);
  const same = (m: ActivationsMeta) =>
    JSON.stringify([m.layers, m.stored ?? m.layers.map((l) => l.layer)]) ===
      JSON.stringify([layers, stored]);
  for (const p of parts) {
    if (p.meta.count && !same(p.meta)) {
      throw new DissectError("DATA", `${p.dir}: its layers differ from the other shards'`);
    }
  }
  const filled = parts.filter((p) => p.meta.count);
  for (const layer of stored) {
    const name = layerFile(layer);
    await joinFiles(join(dir, name), filled.map((p) => join(p.dir, name)));
  }
  const meta = { count: parts.reduce((n, p) => n + p.meta.count, 0), layers, stored };
  await writeActivationsMeta(dir, meta);
  return meta;
}
