/**
 * Painting with units, the paper's Fig. 6: the generator is split at a layer;
 * a stroke of a concept sets the concept's units, in the cells under the
 * stroke, to boost x t_u (draw) or to zero (erase); the tail renders the
 * result. The paint page and the paint stage (claim C13) both go through
 * this module, so what is measured is what a person sees.
 */
import {
  type GeneratorEditor,
  type LayerBatch,
  openGeneratorEdit,
} from "../dissection/generator_edit.ts";
import type { LatentReader } from "../data/latents.ts";
import { DissectError } from "../engine/errors.ts";
import type { PaletteConcept } from "./palette.ts";

/** Whether a stroke draws a concept or erases it. */
export type Mode = "draw" | "erase";

/** One edit: a palette concept, drawn or erased, in the cells marked 1 (h*w bytes). */
export interface Stroke {
  concept: string;
  mode: Mode;
  cells: Uint8Array;
}

/** Drawing sets a unit to boost x t_u, as door insertion does (boost 1: the paper's t_u). */
export const PAINT_DEFAULTS = { boost: 1 } as const;

/** Sizes of the edited layer and of the images. */
export interface PaintGrid {
  units: number;
  h: number;
  w: number;
  size: number;
}

/** Units and the values they are set to (null: zeroed) over cells. */
export interface UnitEdit {
  units: number[];
  values: number[] | null;
  cells: Uint8Array;
}

/**
 * Apply edits in order to one image's activations ([units, h, w] at
 * `offset`): where two edits touch the same unit and cell, the later wins,
 * as a later brush stroke covers an earlier one.
 */
export function applyEdits(
  acts: Float32Array,
  offset: number,
  grid: { units: number; h: number; w: number },
  edits: UnitEdit[],
): void {
  const hw = grid.h * grid.w;
  for (const e of edits) {
    e.units.forEach((u, k) => {
      const v = e.values ? e.values[k] : 0;
      const base = offset + u * hw;
      for (let c = 0; c < hw; c++) if (e.cells[c]) acts[base + c] = v;
    });
  }
}

/** Regenerates a sample with strokes applied to a concept's units at the edited layer. */
export class Painter {
  readonly #concepts: Map<string, PaletteConcept>;

  private constructor(
    readonly editor: GeneratorEditor,
    readonly input: string,
    readonly latents: LatentReader,
    readonly palette: PaletteConcept[],
    readonly boost: number,
    readonly grid: PaintGrid,
  ) {
    this.#concepts = new Map(palette.map((c) => [c.name, c]));
  }

  /**
   * @param generator the model as configured (named in errors)
   * @param file its path on disk
   * @param latents latents.f32 of the generate stage: the samples to paint on
   */
  static async open(o: {
    generator: string;
    file: string;
    latents: string;
    layer: string;
    palette: PaletteConcept[];
    boost?: number;
    /** Threads for the generator's sessions. */
    threads: number;
  }): Promise<Painter> {
    const { editor, latents, input } = await openGeneratorEdit(
      o.generator,
      o.file,
      o.latents,
      o.layer,
      o.threads,
    );
    if (latents.count === 0) throw new DissectError("DATA", `no latents in ${o.latents}`);
    // One sample through head and tail tells the layer's and the image's sizes.
    const probe = await editor.layer(input, latents.read(0, 1), 1);
    const { size } = await editor.render(probe, probe.data, 1);
    const grid = { units: probe.units, h: probe.h, w: probe.w, size };
    for (const c of o.palette) {
      const bad = c.units.find((u) => u.unit >= grid.units);
      if (bad) {
        throw new DissectError(
          "DATA",
          `palette concept "${c.name}" names unit ${bad.unit}, but ${o.layer} of ${o.generator} ` +
            `has ${grid.units} units`,
          "was the dissection made with this generator? rerun `deno task reproduce`",
        );
      }
    }
    return new Painter(
      editor,
      input,
      latents,
      o.palette,
      o.boost ?? PAINT_DEFAULTS.boost,
      grid,
    );
  }

  get samples(): number {
    return this.latents.count;
  }

  concept(name: string): PaletteConcept | undefined {
    return this.#concepts.get(name);
  }

  /** The edited layer for stored samples [start, end). */
  async layer(start: number, end: number): Promise<LayerBatch> {
    return await this.editor.layer(this.input, this.latents.read(start, end), end - start);
  }

  /** The units a stroke sets, and to what. */
  unitEdit(s: Stroke): UnitEdit {
    const c = this.#concepts.get(s.concept);
    if (!c) throw new DissectError("DATA", `"${s.concept}" is not in the palette`);
    if (s.cells.length !== this.grid.h * this.grid.w) {
      throw new Error(
        `a stroke has ${s.cells.length} cells; the layer has ${this.grid.h}x${this.grid.w}`,
      );
    }
    return {
      units: c.units.map((u) => u.unit),
      values: s.mode === "draw" ? c.units.map((u) => this.boost * u.threshold) : null,
      cells: s.cells,
    };
  }

  /**
   * Render copies of a batch: copy k of every sample carries the strokes
   * copies[k] (an empty list is the unedited image). Images come back copy
   * after copy, each holding the batch's samples in order.
   */
  async render(base: LayerBatch, copies: Stroke[][]): Promise<{ rgb: Uint8Array; size: number }> {
    const per = base.units * base.h * base.w;
    const stacked = new Float32Array(copies.length * base.data.length);
    copies.forEach((strokes, k) => {
      const off = k * base.data.length;
      stacked.set(base.data, off);
      const edits = strokes.map((s) => this.unitEdit(s));
      for (let i = 0; i < base.n; i++) applyEdits(stacked, off + i * per, base, edits);
    });
    return await this.editor.render(base, stacked, copies.length);
  }

  /** One stored sample with strokes applied in order: the page's request. */
  async paint(sample: number, strokes: Stroke[]): Promise<{ rgb: Uint8Array; size: number }> {
    return await this.render(await this.layer(sample, sample + 1), [strokes]);
  }

  async release(): Promise<void> {
    await this.editor.release();
  }
}
