/** Shared test helpers: run the CLI as a subprocess, temporary stores and fixtures. */
import { join } from "node:path";
import { PROJECT_ROOT } from "../engine/paths.ts";

export const TOY_PIPELINE = join(PROJECT_ROOT, "tests/fixtures/toy/pipeline.ts");

/** The CLI arguments of a reproduce of the run config `config` on `store`, then `args`. */
export function reproduceArgs(config: string, store: string, ...args: string[]): string[] {
  return ["reproduce", "--config", config, "--store", store, ...args];
}

/** The CLI arguments of a reproduce of the toy pipeline on `store`, then `args`. */
export function toyReproduce(store: string, ...args: string[]): string[] {
  return ["reproduce", "--pipeline", TOY_PIPELINE, "--store", store, ...args];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI as a subprocess with `args`, plain output and `env` over this
 * process's environment. onnxruntime's telemetry is off in it: on, every
 * process that loads onnxruntime leaves a mat-debug-<pid>.log (and .ses) in
 * the temporary folder.
 */
export function cliCommand(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(PROJECT_ROOT, "dissect.ts"), ...args],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1", ORT_DISABLE_TELEMETRY: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const out = await cliCommand(args, env).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temporary folder that removes itself, and all it holds, when disposed. */
export interface ScratchDir extends AsyncDisposable {
  /** The folder's absolute path. */
  readonly path: string;
  /** A new empty folder of a random name inside this one (so removed with it); its path. */
  subdir(): Promise<string>;
}

/**
 * A fresh temporary folder named `prefix` and a random suffix, for
 * `await using dir = await scratchDir()`: removed recursively when the scope
 * ends, however it ends (a test that fails included; one already gone is fine).
 */
export async function scratchDir(prefix = "dissect-test-"): Promise<ScratchDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    subdir: () => Deno.makeTempDir({ dir: path }),
    [Symbol.asyncDispose]: () => removeAll(path),
  };
}

/** Removes `path` recursively, if it is there (a test's cleanup: NotFound is no error). */
export async function removeAll(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * A fresh temporary folder that the caller must remove itself; prefer
 * `scratchDir()`, which removes it when its scope ends.
 */
export async function tempDir(prefix = "dissect-test-"): Promise<string> {
  return await Deno.makeTempDir({ prefix });
}

/** A copy of the toy pipeline that a test may edit, beside the original (same import depth). */
export async function copyToy(): Promise<string> {
  const dir = join(PROJECT_ROOT, "tests/fixtures", `.tmp-toy-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.mkdir(dir);
  for await (const e of Deno.readDir(join(PROJECT_ROOT, "tests/fixtures/toy"))) {
    await Deno.copyFile(join(PROJECT_ROOT, "tests/fixtures/toy", e.name), join(dir, e.name));
  }
  return dir;
}

export function executedNodes(json: string): string[] {
  const r = JSON.parse(json) as { run: { nodes: { node: string; status: string }[] } };
  return r.run.nodes.filter((n) => n.status === "executed").map((n) => n.node).sort();
}

/** Query a store's catalog (views of the latest run's tables), read-only. */
export async function catalogRows<T = Record<string, unknown>>(
  store: string,
  sql: string,
): Promise<T[]> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const { queryRows } = await import("../engine/duck.ts");
  const db = await DuckDBInstance.create(join(store, "catalog.duckdb"), {
    access_mode: "READ_ONLY",
  });
  const conn = await db.connect();
  try {
    return await queryRows<T>(sql, conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * The catalog views of store `a` whose rows differ from store `b`'s (DuckDB
 * EXCEPT ALL both ways), with how many rows differ; and how many views were compared.
 */
export async function differingViews(
  a: string,
  b: string,
): Promise<{ compared: number; differing: string[] }> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const { queryRows, sqlIdent, sqlString } = await import("../engine/duck.ts");
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    for (const [alias, store] of [["a", a], ["b", b]]) {
      await conn.run(`ATTACH ${sqlString(join(store, "catalog.duckdb"))} AS ${alias} (READ_ONLY)`);
    }
    const views = await queryRows<{ view_name: string }>(
      "SELECT view_name FROM duckdb_views() WHERE database_name = 'a' AND NOT internal ORDER BY 1",
      conn,
    );
    const differing: string[] = [];
    for (const { view_name } of views) {
      const [x, y] = [`a.${sqlIdent(view_name)}`, `b.${sqlIdent(view_name)}`];
      const [{ n }] = await queryRows<{ n: number }>(
        `SELECT (SELECT count(*) FROM (FROM ${x} EXCEPT ALL FROM ${y})) + ` +
          `(SELECT count(*) FROM (FROM ${y} EXCEPT ALL FROM ${x})) AS n`,
        conn,
      );
      if (n) differing.push(`${view_name} (${n} rows)`);
    }
    return { compared: views.length, differing };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Writes `files` (relative path -> text or bytes) under `root`, making folders as needed; returns `root`. */
export async function writeTree(
  root: string,
  files: Record<string, string | Uint8Array>,
): Promise<string> {
  for (const [name, body] of Object.entries(files)) {
    const path = join(root, name);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    if (typeof body === "string") await Deno.writeTextFile(path, body);
    else await Deno.writeFile(path, body);
  }
  return root;
}
