/**
 * Exact sums of float32 values, in any order. Each value goes, by its
 * exponent, into one of 32 bins; a bin holds values whose exponents span 8
 * binades as integers of that bin's smallest step, so every addition is an
 * exact integer addition in a float64 (each value is under 2^31 steps, and a
 * bin is carried into a BigInt before it could pass 2^53). The sum is the
 * same whatever the order or grouping of the additions, so sums of shards
 * add up to the sum of the whole; it is read rounded once, to the nearest
 * float64.
 */

const BINS = 32;
/** 2^-149, the smallest float32 step: the unit of exact totals. */
const TINY = 2 ** -149;
/** Past this a bin is carried into its BigInt: one more value cannot make it inexact. */
const CARRY = 2 ** 52;

/** Per bin: the exponent of its step relative to 2^-149, and the scale that turns a value into steps. */
const SHIFT = Array.from({ length: BINS }, (_, b) => Math.max(8 * b, 1) - 1);
const SCALE = SHIFT.map((s) => 2 ** (149 - s));

const f32 = new Float32Array(1);
const bits = new Uint32Array(f32.buffer);

/** `n` exact sums of float32 values (see the module's comment). */
export class ExactSums {
  readonly #bins: Float64Array;
  /** Carried parts, in units of 2^-149; absent while zero. */
  readonly #carried = new Map<number, bigint>();

  constructor(readonly n: number) {
    this.#bins = new Float64Array(n * BINS);
  }

  /** Adds `v` to sum `i`; `v` must be a finite float32 value (a Float32Array's element). */
  add(i: number, v: number): void {
    f32[0] = v;
    const b = (bits[0] >>> 26) & 31; // the exponent field's top 5 bits
    const k = i * BINS + b;
    const x = this.#bins[k] + v * SCALE[b];
    if (Math.abs(x) > CARRY) {
      this.#carried.set(i, (this.#carried.get(i) ?? 0n) + (BigInt(x) << BigInt(SHIFT[b])));
      this.#bins[k] = 0;
    } else this.#bins[k] = x;
  }

  /** Sum `i` exactly, in units of 2^-149. */
  exact(i: number): bigint {
    let total = this.#carried.get(i) ?? 0n;
    for (let b = 0; b < BINS; b++) {
      const x = this.#bins[i * BINS + b];
      if (x) total += BigInt(x) << BigInt(SHIFT[b]);
    }
    return total;
  }

  /** Adds an exact sum (another shard's `exact(i)`) to sum `i`. */
  addExact(i: number, x: bigint): void {
    if (x) this.#carried.set(i, (this.#carried.get(i) ?? 0n) + x);
  }

  /** Sum `i`, rounded once to the nearest float64. */
  total(i: number): number {
    // Number(bigint) rounds to nearest; scaling by a power of two is exact here.
    return Number(this.exact(i)) * TINY;
  }
}
