/**
 * Progress of long work: a redrawn bar on a terminal, plain periodic lines
 * otherwise (CI logs), both on stderr so --json output stays clean. Stages
 * running at once share a `ProgressBoard`: one line per running stage, log
 * lines printed above the block, so concurrent bars never overwrite each other.
 */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

/** How progress is shown: on a terminal or as lines, where it is written, or not at all. */
export interface ProgressOptions {
  /** Redraw a bar in place (terminal) or print lines (logs). */
  tty?: boolean;
  /** Seconds between plain lines when not on a terminal. */
  lineEverySeconds?: number;
  write?: (text: string) => void;
  quiet?: boolean;
  /** On a terminal, draw on this shared block instead of redrawing one line in place. */
  board?: ProgressBoard;
}

/**
 * A block of lines at the bottom of a terminal, one per running task, redrawn
 * in place; a line printed through the board goes above the block.
 */
export class ProgressBoard {
  readonly #rows = new Map<number, string>();
  #drawn = 0;
  #next = 0;

  constructor(readonly write: (text: string) => void) {}

  /** A new row of the block; returns its id. */
  open(): number {
    return this.#next++;
  }

  /** Sets a row's text and redraws the block. */
  set(id: number, text: string): void {
    this.#rows.set(id, text);
    this.#redraw();
  }

  /** Removes a row, printing its last text above the block. */
  close(id: number, last: string): void {
    this.#rows.delete(id);
    this.print(last);
  }

  /** Prints a line above the block. */
  print(line: string): void {
    this.above(() => this.write(line + "\n"));
  }

  /** Runs `fn`, which writes whole lines to the same terminal, with the block moved below them. */
  above(fn: () => void): void {
    this.#clear();
    fn();
    this.#redraw();
  }

  #clear(): void {
    // Up to the block's first line, then clear to the end of the screen.
    if (this.#drawn > 0) this.write(`\x1b[${this.#drawn}A\r\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    this.#clear();
    for (const text of this.#rows.values()) this.write(`${text}\x1b[K\n`);
    this.#drawn = this.#rows.size;
  }
}

const encoder = new TextEncoder();

/** Starts reporting progress of `total` items of work under a label. */
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
  const barText = () => {
    const width = 24;
    const filled = total > 0 ? Math.round((width * count) / total) : width;
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${line()}`;
  };
  const bar = () => `\r${barText()}\x1b[K`;
  const board = tty ? opts.board : undefined;
  const row = board?.open() ?? -1;

  return {
    tick(n = 1) {
      count += n;
      if (opts.quiet) return;
      const now = performance.now();
      if (tty && now - lastDraw > 100) {
        if (board) board.set(row, barText());
        else write(bar());
        lastDraw = now;
      } else if (!tty && now - lastDraw > every) {
        if (lastDraw > 0) write(line() + "\n");
        lastDraw = now;
      }
    },
    done() {
      if (finished || opts.quiet) return;
      finished = true;
      if (board) board.close(row, barText());
      else write(tty ? bar() + "\n" : line() + "\n");
    },
  };
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

/** Seconds as "12.3s" or "4m05s". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - 60 * m).toString().padStart(2, "0")}s`;
}
