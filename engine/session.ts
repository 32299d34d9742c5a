/**
 * Everything one CLI command needs, loaded once: the validated config, the
 * pipeline built from it, final parameters, the store and the hashers.
 */
import { resolve } from "node:path";
import { RunConfig } from "../schemas/config.ts";
import type { Pipeline } from "./dag.ts";
import { CodeHasher } from "./code_hash.ts";
import { DigestCache } from "./file_digest.ts";
import { DissectError } from "./errors.ts";
import { PROJECT_ROOT, toFileUrl } from "./paths.ts";
import { configOverrides, parseSet, resolveParams } from "./resolve.ts";
import { Store } from "./store.ts";
import { plan, type PlannedNode } from "./plan.ts";
import type { RunRecord } from "../schemas/manifest.ts";

export interface SessionOptions {
  /** A JSON config file; absent means the built-in synthetic world. */
  configPath?: string;
  /** `node.param=value` overrides, applied last. */
  sets?: string[];
  /** Store root (default: artifacts). */
  store?: string;
  /** Module whose default export builds the pipeline (default: pipeline.ts). */
  pipelineModule?: string;
}

export interface Session {
  config: RunConfig;
  pipeline: Pipeline;
  params: Map<string, Record<string, unknown>>;
  store: Store;
  code: CodeHasher;
  digests: DigestCache;
  previous: RunRecord | null;
}

export type PipelineFactory = (config: RunConfig) => Pipeline;

export async function loadConfig(path?: string): Promise<RunConfig> {
  if (!path) return RunConfig.parse({});
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DissectError("CONFIG", `config file not found: ${path}`);
    }
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DissectError("CONFIG", `${path}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = RunConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys : [];
    const field = [...issue.path, ...keys].join(".") || "(top level)";
    throw new DissectError("CONFIG", `${path}: ${field}: ${issue.message}`);
  }
  return parsed.data;
}

export async function openSession(opts: SessionOptions): Promise<Session> {
  const config = await loadConfig(opts.configPath);
  const modulePath = resolve(opts.pipelineModule ?? `${PROJECT_ROOT}/pipeline.ts`);
  const mod = await import(toFileUrl(modulePath)) as { default: PipelineFactory };
  const pipeline = mod.default(config);
  const overrides = [
    ...configOverrides(config.stages),
    ...(opts.sets ?? []).map(parseSet),
  ];
  const params = resolveParams(pipeline, overrides);
  const store = new Store(opts.store ?? "artifacts");
  return {
    config,
    pipeline,
    params,
    store,
    code: await CodeHasher.forProject(PROJECT_ROOT),
    digests: await DigestCache.open(store.digestCachePath),
    previous: await store.latestRun(config.name),
  };
}

export async function planSession(s: Session): Promise<PlannedNode[]> {
  const planned = await plan(s);
  await s.digests.save().catch(() => {}); // read-only commands may lack a store folder
  return planned;
}
