/**
 * Downloading the paper's files with resume, and verifying them against what is published.
 *
 * A file goes to `DIR/<item>/<name>.part` first and is renamed to its name only once its size and
 * published checksums match; an interrupted download continues with an HTTP Range request. A file
 * already at its name (a previous run, or put there by hand) is verified without any network. What
 * every accepted file hashes to is recorded in `DIR/checksums.json`, so the sha256s SOURCES.md
 * lists as unknown can be filled in. Nothing downloaded is ever deleted: a file that fails its
 * check is kept as `<name>.bad`.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { formatBytes } from "../../engine/bytes.ts";
import { DissectError } from "../../engine/errors.ts";
import { exists, readJsonIfExists, writeAll, writeJsonAtomic } from "../../engine/fs_atomic.ts";
import { formatSeconds } from "../../engine/progress.ts";
import type { PaperFile, PaperItem } from "./sources.ts";

/** The record of accepted files, in the download folder. */
export const CHECKSUMS = "checksums.json";

/** How a byte progress bar is shown (as `engine/progress.ts` shows item counts). */
export interface ByteProgressOptions {
  /** Redraw a bar in place (terminal) or print lines (logs). */
  tty?: boolean;
  /** Seconds between plain lines when not on a terminal. */
  lineEverySeconds?: number;
  write?: (text: string) => void;
  quiet?: boolean;
}

/** Where files go and how long to wait for a server. */
export interface FetchOptions {
  dir: string;
  /** How long to wait for a server's answer; an offline machine fails at once or after this. */
  connectTimeoutMs?: number;
  /** How long a download may receive nothing before it is stopped (and can be resumed). */
  stallTimeoutMs?: number;
  progress?: ByteProgressOptions;
}

/** What became of one file: present (verified), downloaded (verified) or failed. */
export interface FileResult {
  item: string;
  name: string;
  /** Where the file is, or should be put by hand. */
  path: string;
  status: "present" | "downloaded" | "failed";
  /** One line for the user, starting with the item's id. */
  line: string;
  /** Why it failed: INPUT_FILE when it could not be fetched, DATA when it failed its check. */
  error?: DissectError;
  /** For a file that is there: the checks it passed (none where nothing is published). */
  checked?: string[];
}

/** A file's size and digests. */
export interface Digest {
  size: number;
  sha256: string;
  md5: string;
}

/** One entry of `checksums.json`, keyed by the file's path under the download folder. */
export interface ChecksumRecord {
  url: string;
  size: number;
  sha256: string;
  md5: string;
  /** Which published values it matched (size, md5, sha256, sha256 prefix); empty if none exist. */
  checked: string[];
}

/** Size, sha256 and md5 of a file, read once. */
export async function digestFile(path: string): Promise<Digest> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  let size = 0;
  const file = await Deno.open(path);
  // The readable closes the file when it ends or fails.
  for await (const chunk of file.readable) {
    sha256.update(chunk);
    md5.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: sha256.digest("hex"), md5: md5.digest("hex") };
}

/** Compares a digest with what is published for a file: the checks made and the mismatches. */
export function checkDigest(
  file: PaperFile,
  got: Digest,
): { checked: string[]; mismatches: string[] } {
  const checked: string[] = [];
  const mismatches: string[] = [];
  const check = (what: string, expected: string, actual: string) => {
    checked.push(what);
    if (expected !== actual) mismatches.push(`${what}: expected ${expected}, got ${actual}`);
  };
  if (file.size !== undefined) check("size", `${file.size} bytes`, `${got.size} bytes`);
  if (file.md5) check("md5", file.md5.toLowerCase(), got.md5);
  if (file.sha256) check("sha256", file.sha256.toLowerCase(), got.sha256);
  if (file.sha256Prefix) {
    const prefix = file.sha256Prefix.toLowerCase();
    checked.push("sha256 prefix");
    if (!got.sha256.startsWith(prefix)) {
      mismatches.push(`sha256: expected ${prefix}…, got ${got.sha256}`);
    }
  }
  return { checked, mismatches };
}

/** Starts a progress bar of bytes received, on stderr: bytes, rate and eta (total if known). */
export function startByteProgress(
  label: string,
  total: number | undefined,
  already: number,
  opts: ByteProgressOptions = {},
): { tick(n: number): void; done(): void } {
  const tty = opts.tty ?? Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const write = opts.write ?? ((t: string) => Deno.stderr.writeSync(encoder.encode(t)));
  const every = (opts.lineEverySeconds ?? 5) * 1000;
  const start = performance.now();
  let got = 0;
  let lastDraw = 0;
  let finished = false;

  const line = (end: boolean) => {
    const have = already + got;
    const elapsed = (performance.now() - start) / 1000;
    // The rate counts this run's bytes only, not what a resumed .part already held.
    const rate = elapsed > 0 ? got / elapsed : 0;
    const of = total !== undefined
      ? `${formatBytes(have)}/${formatBytes(total)} (${
        total > 0 ? Math.floor((100 * have) / total) : 100
      }%)`
      : formatBytes(have);
    const eta = total !== undefined && rate > 0 ? (total - have) / rate : NaN;
    return `${label} ${of} ${formatBytes(rate)}/s` +
      (!end && Number.isFinite(eta) && have < total! ? ` eta ${formatSeconds(eta)}` : "") +
      (end ? ` in ${formatSeconds(elapsed)}` : "");
  };
  const bar = (end: boolean) => {
    if (total === undefined) return line(end);
    const width = 24;
    const filled = total > 0
      ? Math.min(width, Math.round((width * (already + got)) / total))
      : width;
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${line(end)}`;
  };

  return {
    tick(n) {
      got += n;
      if (opts.quiet) return;
      const now = performance.now();
      if (tty && now - lastDraw > 100) {
        write(`\r${bar(false)}\x1b[K`);
        lastDraw = now;
      } else if (!tty && now - lastDraw > every) {
        if (lastDraw > 0) write(line(false) + "\n");
        lastDraw = now;
      }
    },
    done() {
      if (finished || opts.quiet) return;
      finished = true;
      write(tty ? `\r${bar(true)}\x1b[K\n` : line(true) + "\n");
    },
  };
}

/** The innermost words of a fetch failure ("tcp connect error: Connection refused (os error 111)"). */
function reasonOf(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string } };
  const message = err?.cause?.message ?? err?.message ?? String(e);
  // Deno wraps the OS error in "error sending request for url (...): client error (Connect): ...".
  const at = message.lastIndexOf("): ");
  return at >= 0 ? message.slice(at + 3) : message;
}

/** "bytes 100-199/200" → start 100, total 200; "bytes * /200" → total 200 only. */
function parseContentRange(header: string | null): { start?: number; total?: number } {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!m) return {};
  return {
    start: m[1] !== undefined ? Number(m[1]) : undefined,
    total: m[2] !== "*" ? Number(m[2]) : undefined,
  };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** How a download ended: complete, not started (no answer, or an HTTP error), or stopped part-way. */
type Got =
  | { ok: true; bytes: number }
  | { ok: false; started: false; reason: string }
  | { ok: false; started: true; reason: string; bytes: number };

/**
 * Fetches `url` into `part`, continuing from what `part` holds. At most two requests: a ranged
 * one, and one from zero when the server ignores or refuses the range.
 */
async function download(
  url: string,
  part: string,
  label: string,
  knownSize: number | undefined,
  opts: FetchOptions,
): Promise<Got> {
  let offset = (await sizeOf(part)) ?? 0;
  if (knownSize !== undefined && offset > knownSize) offset = 0; // longer than the file: start over
  if (knownSize !== undefined && offset === knownSize) return { ok: true, bytes: offset };

  for (let attempt = 0; attempt < 2; attempt++) {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // AbortSignal.timeout would also cut a download that takes longer than the timeout, so the
    // timer is armed for the answer and then re-armed on every chunk (a stall).
    const arm = (ms: number, why: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error(why)), ms);
    };
    const connectMs = opts.connectTimeoutMs ?? 10_000;
    const stallMs = opts.stallTimeoutMs ?? 60_000;
    try {
      arm(connectMs, `no answer in ${formatSeconds(connectMs / 1000)}`);
      let response: Response;
      try {
        response = await fetch(url, {
          signal: controller.signal,
          // identity: a compressed answer would make Content-Length and Range count other bytes.
          headers: {
            "accept-encoding": "identity",
            ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
          },
        });
      } catch (e) {
        return {
          ok: false,
          started: false,
          reason: controller.signal.aborted ? reasonOf(controller.signal.reason) : reasonOf(e),
        };
      }
      const range = parseContentRange(response.headers.get("content-range"));
      if (response.status === 416 && offset > 0) {
        await response.body?.cancel();
        if (range.total === offset) return { ok: true, bytes: offset }; // the .part was complete
        offset = 0;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        return {
          ok: false,
          started: false,
          reason: `HTTP ${response.status}${response.statusText ? " " + response.statusText : ""}`,
        };
      }
      // 206 from where the .part ends continues it; a 200 means the server ignored the range.
      let start = 0;
      if (response.status === 206) {
        if (range.start !== offset) {
          await response.body?.cancel();
          offset = 0;
          continue;
        }
        start = offset;
      }
      const encoded = (response.headers.get("content-encoding") ?? "identity") !== "identity";
      if (encoded && start > 0) {
        // A compressed range cannot be appended to the decoded bytes already in the .part.
        await response.body?.cancel();
        offset = 0;
        continue;
      }
      const length = response.headers.get("content-length");
      const total = response.status === 206
        ? range.total
        : length !== null && !encoded
        ? Number(length)
        : undefined;

      const file = await Deno.open(part, {
        write: true,
        create: true,
        append: start > 0,
        truncate: start === 0,
      });
      const progress = startByteProgress(label, total, start, opts.progress);
      let bytes = start;
      try {
        arm(stallMs, `no data for ${formatSeconds(stallMs / 1000)}`);
        for await (const chunk of response.body ?? []) {
          arm(stallMs, `no data for ${formatSeconds(stallMs / 1000)}`);
          await writeAll(file, chunk);
          bytes += chunk.length;
          progress.tick(chunk.length);
        }
      } catch (e) {
        const reason = controller.signal.aborted ? reasonOf(controller.signal.reason) : reasonOf(e);
        return { ok: false, started: true, reason, bytes };
      } finally {
        file.close();
        progress.done();
      }
      if (total !== undefined && bytes !== total) {
        return {
          ok: false,
          started: true,
          reason: `the server sent ${bytes} of ${total} bytes`,
          bytes,
        };
      }
      return { ok: true, bytes };
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    ok: false,
    started: false,
    reason: "the server answered a range request wrongly twice",
  };
}

/** Moves a file that failed its check to `<target>.bad` (or `.bad.2`, …), never over another. */
async function keepAside(from: string, target: string): Promise<string> {
  for (let i = 1; i <= 100; i++) {
    const to = i === 1 ? `${target}.bad` : `${target}.bad.${i}`;
    if (!(await exists(to))) {
      await Deno.rename(from, to);
      return to;
    }
  }
  throw new DissectError(
    "STORE",
    `${target}: 100 .bad copies already exist`,
    "remove the .bad files you have looked at",
  );
}

/** Adds (or replaces, or with null removes) one file's entry in `DIR/checksums.json`. */
async function recordChecksum(
  dir: string,
  key: string,
  entry: ChecksumRecord | null,
): Promise<void> {
  const path = join(dir, CHECKSUMS);
  let all: Record<string, ChecksumRecord>;
  try {
    all = (await readJsonIfExists<Record<string, ChecksumRecord>>(path)) ?? {};
  } catch (e) {
    throw new DissectError(
      "DATA",
      `${path} is not valid JSON (${(e as Error).message})`,
      "move it aside and run again; the files are verified again and recorded afresh",
    );
  }
  if (entry) all[key] = entry;
  else if (key in all) delete all[key];
  else return;
  await writeJsonAtomic(
    path,
    Object.fromEntries(Object.entries(all).sort(([a], [b]) => a < b ? -1 : 1)),
  );
}

/** Network failures by origin, so one unreachable host costs one timeout, not one per file. */
type Unreachable = Map<string, string>;

/**
 * Makes one file of an item present and verified: accepts a file already in place after checking
 * it, otherwise downloads (resuming a .part) and checks. Never throws for a network failure or a
 * mismatch; those are a failed result with its one-line message.
 */
export async function fetchFile(
  item: PaperItem,
  file: PaperFile,
  opts: FetchOptions,
  unreachable: Unreachable = new Map(),
): Promise<FileResult> {
  const key = `${item.id}/${file.name}`;
  const path = join(opts.dir, item.id, file.name);
  const part = `${path}.part`;
  const result = (status: FileResult["status"], line: string, error?: DissectError) => ({
    item: item.id,
    name: file.name,
    path,
    status,
    line,
    error,
  });

  // Verifies `from`, then records it and moves it to `path`, or keeps it aside as .bad.
  const accept = async (from: string, status: "present" | "downloaded"): Promise<FileResult> => {
    const got = await digestFile(from);
    const { checked, mismatches } = checkDigest(file, got);
    if (mismatches.length) {
      const bad = await keepAside(from, path);
      // What an earlier, good copy recorded no longer describes the file at `path`.
      await recordChecksum(opts.dir, key, null);
      const line = `${item.id}: ${file.name} failed its check (${
        mismatches.join("; ")
      }); kept as ${bad}`;
      return result("failed", line, new DissectError("DATA", line));
    }
    if (from !== path) await Deno.rename(from, path);
    await recordChecksum(opts.dir, key, {
      url: file.url,
      size: got.size,
      sha256: got.sha256,
      md5: got.md5,
      checked,
    });
    const how = checked.length
      ? `${checked.join(", ")} match`
      : `no published checksum: its sha256 ${got.sha256} was recorded in ${
        join(opts.dir, CHECKSUMS)
      } but could not be checked`;
    const line = `${item.id}: ${status} ${path} (${formatBytes(got.size)}; ${how})`;
    return { ...result(status, line), checked };
  };

  const there = await Deno.stat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  });
  if (there?.isFile) return await accept(path, "present");
  if (there) {
    const line = `${item.id}: ${path} is not a file; move it aside and run again`;
    return result("failed", line, new DissectError("INPUT_FILE", line));
  }

  // The folder is made even when nothing can be fetched: it is where a file goes by hand.
  await Deno.mkdir(join(opts.dir, item.id), { recursive: true });
  const byHand = `download it by hand and put it at ${path}`;
  const origin = new URL(file.url).origin;
  const down = unreachable.get(origin);
  if (down !== undefined) {
    const line = `${item.id}: cannot reach ${file.url} (${down}); ${byHand}`;
    return result("failed", line, new DissectError("INPUT_FILE", line));
  }

  const got = await download(file.url, part, `${item.id}: ${file.name}`, file.size, opts);
  if (got.ok) return await accept(part, "downloaded");
  if (!got.started) {
    if (!got.reason.startsWith("HTTP ")) unreachable.set(origin, got.reason);
    const line = `${item.id}: cannot reach ${file.url} (${got.reason}); ${byHand}`;
    return result("failed", line, new DissectError("INPUT_FILE", line));
  }
  const line = `${item.id}: download of ${file.url} stopped at ${
    formatBytes(got.bytes)
  } (${got.reason}); run again to resume from ${part}, or ${byHand}`;
  return result("failed", line, new DissectError("INPUT_FILE", line));
}

/**
 * Fetches every file of the given items in turn; one result per file, in order, each also passed
 * to `onResult` as soon as it is known.
 */
export async function fetchItems(
  items: readonly PaperItem[],
  opts: FetchOptions,
  onResult: (r: FileResult) => void = () => {},
): Promise<FileResult[]> {
  const unreachable: Unreachable = new Map();
  const results: FileResult[] = [];
  for (const item of items) {
    for (const file of item.files) {
      const r = await fetchFile(item, file, opts, unreachable);
      onResult(r);
      results.push(r);
    }
  }
  return results;
}
