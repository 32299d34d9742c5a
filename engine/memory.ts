/**
 * The process's peak resident memory, for run summaries and benchmarks. On
 * Linux the kernel keeps the high-water mark (VmHWM); elsewhere only the
 * current resident size is known, which is reported instead.
 */
export function peakRssBytes(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
    if (kb) return Number(kb[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return Deno.memoryUsage().rss;
}
