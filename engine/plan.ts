/**
 * Planning: the key of every node and whether the store already has it.
 * A key hashes the stage name, its final parameters, its inputs' keys, its
 * code identity and the digests of the files it reads; a stale node says
 * why, by diffing against the artifact the same node had in the last run.
 */
import { resolve } from "node:path";
import type { Pipeline } from "./dag.ts";
import type { CodeHasher } from "./code_hash.ts";
import { type DigestCache, stampOf } from "./file_digest.ts";
import type { Store } from "./store.ts";
import { canonicalJson, hashJson } from "./hash.ts";
import type { KeyParts, RunRecord } from "../schemas/manifest.ts";

/** A node with its final parameters, key and whether its artifact is fresh, and why not. */
export interface PlannedNode {
  id: string;
  stage: string;
  key: string;
  keyParts: KeyParts;
  params: Record<string, unknown>;
  /** file slot -> path as configured */
  filePaths: Record<string, string>;
  /** file slot -> size and mtime when digested: the file must still match when the stage runs. */
  fileStamps: Record<string, string>;
  fresh: boolean;
  /** Why a stale node must run (empty when fresh). */
  reasons: string[];
  /** What is wrong with the artifact the store holds under this key, if it is damaged. */
  damaged?: string;
}

/** What planning needs: the pipeline, parameters, store, code hasher, digests and the previous run. */
export interface PlanContext {
  pipeline: Pipeline;
  params: Map<string, Record<string, unknown>>;
  code: CodeHasher;
  digests: DigestCache;
  store: Store;
  previous: RunRecord | null;
  /** Rehash every file of the artifacts the plan would reuse (else sizes only). */
  verify?: boolean;
}

/** Keys every node from its code, parameters, inputs and files, and says which are fresh. */
export async function plan(ctx: PlanContext): Promise<PlannedNode[]> {
  const out: PlannedNode[] = [];
  const byId = new Map<string, PlannedNode>();
  for (const node of ctx.pipeline.ordered()) {
    const params = ctx.params.get(node.id)!;
    const filePaths = node.stage.files?.(params) ?? {};
    const files: Record<string, string> = {};
    const fileStamps: Record<string, string> = {};
    for (const [slot, path] of Object.entries(filePaths)) {
      files[slot] = await ctx.digests.digest(path, `stage ${node.id}, file "${slot}"`);
      fileStamps[slot] = await stampOf(path);
    }
    const identity = await ctx.code.identity(node.stage.module);
    const inputs: Record<string, string> = {};
    for (const [slot, up] of Object.entries(node.inputs)) inputs[slot] = byId.get(up)!.key;
    const keyParts: KeyParts = {
      stage: node.stage.name,
      params,
      inputs,
      code: identity.files,
      packages: identity.packages,
      files,
    };
    const key = hashJson(keyParts);
    const found = await ctx.store.inspect(node.stage.name, key, ctx.verify);
    const fresh = found.state === "ok";
    const damaged = found.state === "damaged" ? found.reason : undefined;
    const planned: PlannedNode = {
      id: node.id,
      stage: node.stage.name,
      key,
      keyParts,
      params,
      filePaths: Object.fromEntries(
        Object.entries(filePaths).map(([k, p]) => [k, resolve(p)]),
      ),
      fileStamps,
      fresh,
      reasons: fresh
        ? []
        : damaged
        ? [`damaged: ${damaged}`]
        : await explain(ctx, node.id, keyParts, key, node.inputs),
      damaged,
    };
    byId.set(node.id, planned);
    out.push(planned);
  }
  return out;
}

async function explain(
  ctx: PlanContext,
  id: string,
  now: KeyParts,
  key: string,
  inputNodes: Record<string, string>,
): Promise<string[]> {
  const before = ctx.previous?.nodes.find((n) => n.node === id);
  if (!before) return ["never run with this config"];
  const last = before.status === "failed"
    ? "failed last time"
    : before.status === "skipped"
    ? "skipped last time (an input failed)"
    : null;
  if (before.key === key) {
    if (last) return [last];
    const note = await ctx.store.quarantineNote(before.stage, key);
    return [note ? `damaged: ${note}` : "its artifact is no longer in the store"];
  }
  const old = await ctx.store.manifest(before.stage, before.key);
  if (old) return diffKeyParts(old.keyParts, now, inputNodes);
  // No artifact to compare with: a failed or skipped run made none.
  return [
    last
      ? `${last}, and its key changed since`
      : "changed since the last run (its previous artifact is no longer in the store)",
  ];
}

/** Human reasons for a key change, most specific first. */
export function diffKeyParts(
  old: KeyParts,
  now: KeyParts,
  inputNodes: Record<string, string> = {},
): string[] {
  const reasons: string[] = [];
  if (old.stage !== now.stage) reasons.push(`stage changed from ${old.stage} to ${now.stage}`);
  diffRecords(
    old.params,
    now.params,
    (k, a, b) => reasons.push(`parameter ${k} changed from ${show(a)} to ${show(b)}`),
  );
  diffRecords(old.code, now.code, (k, a, b) =>
    reasons.push(
      a === undefined
        ? `code file ${k} added`
        : b === undefined
        ? `code file ${k} no longer imported`
        : `code file ${k} changed`,
    ));
  diffRecords(
    old.packages,
    now.packages,
    (k, a, b) => reasons.push(`package ${k} changed from ${show(a)} to ${show(b)}`),
  );
  diffRecords(old.files, now.files, (k) => reasons.push(`input file "${k}" changed`));
  diffRecords(
    old.inputs,
    now.inputs,
    (k) => reasons.push(`input ${k} (from ${inputNodes[k] ?? "?"}) changed`),
  );
  return reasons.length ? reasons : ["key changed"];
}

function diffRecords(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  report: (key: string, before: unknown, after: unknown) => void,
) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) {
    if (canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null)) report(k, a[k], b[k]);
  }
}

function show(v: unknown): string {
  return v === undefined ? "(unset)" : JSON.stringify(v);
}
