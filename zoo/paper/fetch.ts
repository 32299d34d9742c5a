/**
 * `deno task fetch-paper [--only ID ...] [--dir DIR]`: downloads the paper's released models and
 * data sets (zoo/paper/sources.ts) into DIR (artifacts/paper), one folder per item, verifying each
 * file against its published checksums. Files already there are verified without any network;
 * a file that cannot be fetched is one line saying where to put it by hand. Exit 0 when every
 * file is present and verified, 1 when any is missing or failed its check, 2 for bad arguments.
 */
import { parseArgs } from "node:util";
import { listOptions } from "../../engine/args.ts";
import { DissectError, isDissectError, storeError } from "../../engine/errors.ts";
import { type ByteProgressOptions, fetchItems } from "./download.ts";
import { PAPER_ITEMS, type PaperItem } from "./sources.ts";

/** Where files go unless --dir says otherwise (artifacts/ is never committed). */
export const DEFAULT_DIR = "artifacts/paper";

const USAGE = "usage: deno task fetch-paper [--only ID ...] [--dir DIR]";

/** What the command needs from its surroundings; tests replace the items and the output. */
export interface FetchIo {
  items?: readonly PaperItem[];
  out?: (line: string) => void;
  err?: (line: string) => void;
  connectTimeoutMs?: number;
  stallTimeoutMs?: number;
  progress?: ByteProgressOptions;
}

/**
 * The command line read: the items chosen (all when --only is absent) and the folder. `--only`
 * takes every ID that follows it up to the next option, so `--only a b` means both.
 */
export function parseFetchArgs(
  args: string[],
  items: readonly PaperItem[],
): { items: PaperItem[]; dir: string; help: boolean } {
  const { values, tokens } = parseArgs({
    args,
    options: {
      only: { type: "string", multiple: true },
      dir: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    tokens: true,
  });
  const { lists, positionals } = listOptions(tokens, ["only"]);
  if (positionals.length) {
    throw Object.assign(new Error(`unexpected argument "${positionals[0]}"`), { usage: true });
  }
  const only = values.only ? lists.only.flatMap((v) => v.split(",")) : null;
  const dir = values.dir ?? DEFAULT_DIR;
  const help = values.help ?? false;
  const known = items.map((i) => i.id);
  const wanted = only?.filter((id) => id !== "") ?? known;
  if (only && wanted.length === 0) {
    throw new DissectError("CONFIG", `--only names no item; known: ${known.join(", ")}`);
  }
  const unknown = wanted.filter((id) => !known.includes(id));
  if (unknown.length) {
    throw new DissectError(
      "CONFIG",
      `unknown item${unknown.length > 1 ? "s" : ""} ${
        unknown.map((id) => `"${id}"`).join(", ")
      }; known: ${known.join(", ")}`,
    );
  }
  return { items: items.filter((i) => wanted.includes(i.id)), dir, help };
}

/** Runs the command; returns its exit status. */
export async function main(args: string[], io: FetchIo = {}): Promise<number> {
  const out = io.out ?? console.log;
  const err = io.err ?? console.error;
  const all = io.items ?? PAPER_ITEMS;
  try {
    const { items, dir, help } = parseFetchArgs(args, all);
    if (help) {
      out(USAGE);
      for (const i of all) out(`  ${i.id.padEnd(16)} ${i.what}; ${i.size}`);
      return 0;
    }
    const count = items.reduce((n, i) => n + i.files.length, 0);
    out(`fetch-paper: ${items.length} item(s), ${count} file(s), into ${dir}`);
    const results = await fetchItems(items, {
      dir,
      connectTimeoutMs: io.connectTimeoutMs,
      stallTimeoutMs: io.stallTimeoutMs,
      progress: io.progress,
    }, (r) => (r.status === "failed" ? err : out)(r.line));
    const failed = results.filter((r) => r.status === "failed").length;
    const unchecked = results.filter((r) => r.checked?.length === 0).length;
    const present = count - failed;
    const checked = unchecked
      ? ` (${unchecked} with no published checksum to verify)`
      : present
      ? ", all verified"
      : "";
    out(`fetch-paper: ${present} of ${count} file(s) present in ${dir}${checked}`);
    return failed ? 1 : 0;
  } catch (thrown) {
    const e = isDissectError(thrown) ? thrown : storeError(thrown) ?? thrown;
    if (isDissectError(e)) {
      err(e.describe());
      return e.code === "CONFIG" ? 2 : 1;
    }
    const usage = (e as { usage?: boolean }).usage ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (usage) {
      err(`error: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
