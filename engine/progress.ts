/**
 * Progress of long work: a redrawn bar on a terminal, plain periodic lines
 * otherwise (CI logs), both on stderr so --json output stays clean.
 */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export interface ProgressOptions {
  /** Redraw a bar in place (terminal) or print lines (logs). */
  tty?: boolean;
  /** Seconds between plain lines when not on a terminal. */
  lineEverySeconds?: number;
  write?: (text: string) => void;
  quiet?: boolean;
}

const encoder = new TextEncoder();

export function startProgress(
  label: string,
  total: number,
  opts: ProgressOptions = {},
): Progress {
  const tty = opts.tty ?? Deno.stderr.isTerminal();
  const write = opts.write ??
    ((t: string) => Deno.stderr.writeSync(encoder.encode(t)));
  const every = (opts.lineEverySeconds ?? 5) * 1000;
  const start = performance.now();
  let count = 0;
  let lastDraw = 0;
  let finished = false;

  const line = () => {
    const elapsed = (performance.now() - start) / 1000;
    const rate = elapsed > 0 ? count / elapsed : 0;
    const eta = rate > 0 ? (total - count) / rate : NaN;
    const pct = total > 0 ? Math.floor((100 * count) / total) : 100;
    return `${label} ${count}/${total} (${pct}%) ${formatRate(rate)}/s` +
      (count < total && Number.isFinite(eta) ? ` eta ${formatSeconds(eta)}` : "") +
      (count >= total ? ` in ${formatSeconds(elapsed)}` : "");
  };
  const bar = () => {
    const width = 24;
    const filled = total > 0 ? Math.round((width * count) / total) : width;
    return `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${line()}\x1b[K`;
  };

  return {
    tick(n = 1) {
      count += n;
      if (opts.quiet) return;
      const now = performance.now();
      if (tty && now - lastDraw > 100) {
        write(bar());
        lastDraw = now;
      } else if (!tty && now - lastDraw > every) {
        if (lastDraw > 0) write(line() + "\n");
        lastDraw = now;
      }
    },
    done() {
      if (finished || opts.quiet) return;
      finished = true;
      write(tty ? bar() + "\n" : line() + "\n");
    },
  };
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - 60 * m).toString().padStart(2, "0")}s`;
}
