/**
 * Bilinear upsampling of one h x w activation map to H x W, with pixel
 * centers aligned (align_corners = false, as torch's default and the paper's
 * code): output pixel Y samples input row (Y + 0.5) * h / H - 0.5, clamped.
 */

export interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

export function axis(src: number, dst: number): Axis {
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), w1 = new Float32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    const s = Math.min(src - 1, Math.max(0, (d + 0.5) * scale - 0.5));
    i0[d] = Math.floor(s);
    i1[d] = Math.min(src - 1, i0[d] + 1);
    w1[d] = s - i0[d];
  }
  return { i0, i1, w1 };
}

export class Upsampler {
  readonly rows: Axis;
  readonly cols: Axis;
  /** h x W intermediate: rows upsampled along x first. */
  #tmp: Float32Array;

  constructor(readonly h: number, readonly w: number, readonly H: number, readonly W: number) {
    this.rows = axis(h, H);
    this.cols = axis(w, W);
    this.#tmp = new Float32Array(h * W);
  }

  /** Upsample `src` (h*w, row-major, starting at `offset`) into `out` (H*W). */
  run(src: Float32Array, offset: number, out: Float32Array): void {
    const { h, w, H, W, rows, cols } = this;
    const tmp = this.#tmp;
    for (let y = 0; y < h; y++) {
      const base = offset + y * w;
      for (let x = 0; x < W; x++) {
        const a = src[base + cols.i0[x]], b = src[base + cols.i1[x]];
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
