/**
 * Bilinear upsampling of one h x w activation map to H x W with pixel
 * centres aligned: output pixel Y samples input row (Y + 0.5) * h / H - 0.5.
 *
 * Near the edges that position falls outside the outermost input centres,
 * and the two edge modes differ there:
 * - "zeros": the map is surrounded by zeros, so the outer band fades toward 0.
 *   This is what the paper's code does: `netdissect/upsample.py` in
 *   davidbau/dissect (`upsampler` calls `grid_sample` with its default
 *   padding_mode 'zeros' on a pixel-centre grid from `upsample_grid`; commit
 *   a45fb6b, 2020-04-24, unchanged in logic through the paper's publication).
 * - "border": the position is clamped to the outer centres (torch's
 *   `interpolate(..., align_corners=False)`).
 * Inside, the two agree. At equal sizes both return the map itself.
 *
 * Every consumer (thresholds, IoU counts, unit pictures) reads maps through
 * `SourceGrid`, so one edge mode means one set of upsampled values.
 */

/** Edge modes of the upsampling; "zeros" is the paper's. */
export const BORDERS = ["zeros", "border"] as const;
/** How samples beyond the outer input centres are filled. */
export type Border = typeof BORDERS[number];

/** Per output coordinate: the two input samples it interpolates and the weight of the second. */
export interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/**
 * The sampling positions of one axis. In "border" mode indices address the
 * map (0 .. src-1); in "zeros" mode they address the map inside a ring of
 * zeros (0 .. src+1, the map at 1 .. src), so no position needs clamping.
 */
export function axis(src: number, dst: number, border: Border): Axis {
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), w1 = new Float32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    const at = (d + 0.5) * scale - 0.5;
    if (border === "zeros") {
      const s = at + 1; // within [0.5, src + 0.5]: between two cells of the padded grid
      i0[d] = Math.floor(s);
      i1[d] = i0[d] + 1;
      w1[d] = s - i0[d];
    } else {
      const s = Math.min(src - 1, Math.max(0, at));
      i0[d] = Math.floor(s);
      i1[d] = Math.min(src - 1, i0[d] + 1);
      w1[d] = s - i0[d];
    }
  }
  return { i0, i1, w1 };
}

/**
 * Runs of output coordinates that interpolate the same two input samples:
 * run k covers [start[k], end[k]) from samples i0[k] and i1[k]. A block of
 * output pixels (a row run by a column run) interpolates four input values
 * and lies between the smallest and largest of them, even after float32
 * rounding (each step rounds a value between two float32s to a float32).
 */
export interface Runs {
  start: Int32Array;
  end: Int32Array;
  i0: Int32Array;
  i1: Int32Array;
  /** The weight of every output coordinate (not per run). */
  w1: Float32Array;
  /** How much the weight rises per pixel along run k. */
  step: Float64Array;
  /** The longest run. */
  longest: number;
}

/** The runs of one axis. */
export function runsOf(a: Axis): Runs {
  const out: { start: number; end: number; i0: number; i1: number }[] = [];
  for (let d = 0; d < a.i0.length; d++) {
    // At weight 0 the value is the i0 sample alone.
    const i1 = a.w1[d] === 0 ? a.i0[d] : a.i1[d];
    const last = out.at(-1);
    if (last && last.i0 === a.i0[d] && last.i1 === i1) last.end = d + 1;
    else out.push({ start: d, end: d + 1, i0: a.i0[d], i1 });
  }
  return {
    start: Int32Array.from(out, (r) => r.start),
    end: Int32Array.from(out, (r) => r.end),
    i0: Int32Array.from(out, (r) => r.i0),
    i1: Int32Array.from(out, (r) => r.i1),
    w1: a.w1,
    step: Float64Array.from(
      out,
      (r) => r.end - r.start > 1 ? (a.w1[r.end - 1] - a.w1[r.start]) / (r.end - 1 - r.start) : 1,
    ),
    longest: out.reduce((m, r) => Math.max(m, r.end - r.start), 0),
  };
}

/**
 * What an upsampling of h x w maps to H x W reads: the axes, their runs, and
 * each map placed where the axes' indices point (the map itself, or a copy
 * inside a ring of zeros). `load` places one map; `data`, `base` and `stride`
 * then address input row i, column j at data[base + i * stride + j].
 */
export class SourceGrid {
  readonly rows: Axis;
  readonly cols: Axis;
  readonly rowRuns: Runs;
  readonly colRuns: Runs;
  readonly stride: number;
  /** Whether the upsampled map is the map itself (same size). */
  readonly identity: boolean;
  data: Float32Array = new Float32Array(0);
  base = 0;
  /**
   * The largest value of each input row of the loaded map as the indices
   * address it (in "zeros" mode the ring of zeros counts): a block row whose
   * two input rows both peak below a value lies wholly below it, so counters
   * skip it without reading its blocks.
   */
  readonly rowMax: Float32Array;
  /** The column runs `hotColumns` found, in order. */
  readonly hot: Int32Array;
  /** Per input column as the indices address it: the column runs reading it, [first, end). */
  readonly #runFirst: Int32Array;
  readonly #runEnd: Int32Array;
  readonly #padded: Float32Array | null;

  constructor(
    readonly h: number,
    readonly w: number,
    readonly H: number,
    readonly W: number,
    readonly border: Border = "zeros",
  ) {
    this.rows = axis(h, H, border);
    this.cols = axis(w, W, border);
    this.rowRuns = runsOf(this.rows);
    this.colRuns = runsOf(this.cols);
    this.identity = h === H && w === W;
    this.#padded = border === "zeros" ? new Float32Array((h + 2) * (w + 2)) : null;
    this.stride = border === "zeros" ? w + 2 : w;
    this.rowMax = new Float32Array(border === "zeros" ? h + 2 : h);
    // Runs go left to right and read columns i0 <= i1 <= i0 + 1, so those reading one column
    // are consecutive; a column no run reads gets an empty range where its runs would be.
    const C = this.colRuns, n = C.start.length;
    this.hot = new Int32Array(n);
    this.#runFirst = new Int32Array(this.stride);
    this.#runEnd = new Int32Array(this.stride);
    for (let j = 0, c = 0; j < this.stride; j++) {
      while (c < n && C.i1[c] < j) c++;
      let e = c;
      while (e < n && C.i0[e] <= j) e++;
      this.#runFirst[j] = c;
      this.#runEnd[j] = e;
    }
  }

  /**
   * The column runs c whose block in row run r of the loaded map has a corner
   * at or above `bound` (above it, when `strict`), left to right, into
   * `hot`; returns how many. Every other block of the row lies wholly below
   * (at or below) the bound, so counters need not read it.
   */
  hotColumns(r: number, bound: number, strict: boolean): number {
    const R = this.rowRuns, s = this.stride, data = this.data, hot = this.hot;
    const first = this.#runFirst, end = this.#runEnd;
    const A = this.base + R.i0[r] * s, B = this.base + R.i1[r] * s;
    let n = 0, next = 0; // next: the first run not listed yet
    if (Number.isNaN(bound)) bound = -Infinity; // no bound: every block
    for (let j = 0; j < s; j++) {
      const a = data[A + j], b = data[B + j];
      if (strict ? a > bound || b > bound : a >= bound || b >= bound) {
        for (let c = first[j] > next ? first[j] : next; c < end[j]; c++) hot[n++] = c;
        if (end[j] > next) next = end[j];
      }
    }
    return n;
  }

  /** Places the map src[offset .. offset + h * w) for reading. */
  load(src: Float32Array, offset: number): void {
    const pad = this.#padded, { h, w } = this, rowMax = this.rowMax;
    if (!pad) {
      this.data = src;
      this.base = offset;
      for (let y = 0; y < h; y++) {
        const from = offset + y * w;
        let m = -Infinity; // a NaN is never the largest, as in the blocks' own tests
        for (let x = from; x < from + w; x++) if (src[x] > m) m = src[x];
        rowMax[y] = m;
      }
      return;
    }
    const s = w + 2;
    for (let y = 0; y < h; y++) {
      const from = offset + y * w, to = (y + 1) * s + 1;
      let m = 0; // the ring's zeros
      for (let x = 0; x < w; x++) {
        const v = src[from + x];
        pad[to + x] = v;
        if (v > m) m = v;
      }
      rowMax[y + 1] = m;
    }
    this.data = pad;
    this.base = 0;
  }

  /**
   * The largest upsampled value cannot exceed this bound on a map whose
   * largest value is `peak` (with zeros around the map, 0 is in reach too).
   */
  peakBound(peak: number): number {
    return this.border === "zeros" && peak < 0 ? 0 : peak;
  }
}

/** Upsamples whole maps (for pictures and references; counting works on blocks). */
export class Upsampler {
  readonly grid: SourceGrid;
  /** Input rows upsampled along x first (h + 2 of them with zeros around). */
  #tmp: Float32Array;

  constructor(h: number, w: number, H: number, W: number, border: Border = "zeros") {
    this.grid = new SourceGrid(h, w, H, W, border);
    this.#tmp = new Float32Array((h + 2) * W);
  }

  /** Upsample `src` (h*w, row-major, starting at `offset`) into `out` (H*W). */
  run(src: Float32Array, offset: number, out: Float32Array): void {
    const g = this.grid, { H, W, rows, cols, stride } = g;
    g.load(src, offset);
    const data = g.data, tmp = this.#tmp;
    const inRows = g.border === "zeros" ? g.h + 2 : g.h;
    for (let y = 0; y < inRows; y++) {
      const base = g.base + y * stride;
      for (let x = 0; x < W; x++) {
        const a = data[base + cols.i0[x]], b = data[base + cols.i1[x]];
        tmp[y * W + x] = a + (b - a) * cols.w1[x];
      }
    }
    for (let y = 0; y < H; y++) {
      const r0 = rows.i0[y] * W, r1 = rows.i1[y] * W, t = rows.w1[y];
      for (let x = 0; x < W; x++) {
        const a = tmp[r0 + x];
        out[y * W + x] = a + (tmp[r1 + x] - a) * t;
      }
    }
  }
}

/**
 * Upsampler's value at one pixel of a block from its four corners: along x
 * first, then y, rounding to float32 at each step.
 */
export function upsampledAt(
  a: number,
  b: number,
  d: number,
  e: number,
  wx: number,
  wy: number,
): number {
  const top = Math.fround(a + (b - a) * wx), bottom = Math.fround(d + (e - d) * wx);
  return Math.fround(top + (bottom - top) * wy);
}
