/**
 * Benchmarks report ratios measured within one run (machines here are shared
 * and noisy, so absolute times only inform). Each benchmark returns its
 * measurements and the ratios it is judged on, each with its target.
 */
/** A number a benchmark is judged on, and its target (value <= max). */
export interface Ratio {
  name: string;
  value: number;
  max: number;
}

/** A benchmark's measurements and the ratios it is judged on. */
export interface BenchResult {
  /** Informational measurements (seconds, rates, bytes). */
  metrics: Record<string, number>;
  /** What the benchmark is judged on; it passes when every ratio meets its target. */
  ratios: Ratio[];
}

/** A named benchmark. */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

/** Median wall time in seconds of `repeat` calls. */
export async function timeIt(fn: () => Promise<unknown>, repeat = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** The median of some measurements (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  return xs.toSorted((a, b) => a - b)[xs.length >> 1];
}
