/**
 * Everything one CLI command needs, loaded once: the validated config, the
 * pipeline built from it, final parameters, the store and the hashers.
 */
import { resolve } from "node:path";
import type { z } from "zod";
import type { Pipeline } from "./dag.ts";
import { CodeHasher } from "./code_hash.ts";
import { DigestCache } from "./file_digest.ts";
import { DissectError } from "./errors.ts";
import { PROJECT_ROOT, toFileUrl } from "./paths.ts";
import { configOverrides, parseSet, resolveParams } from "./resolve.ts";
import { Store } from "./store.ts";
import { plan, type PlannedNode } from "./plan.ts";
import type { RunRecord } from "../schemas/manifest.ts";
import type { ExecutorConfig } from "./executor.ts";
import { stripJsonComments } from "./jsonc.ts";

/** Where a command's config, overrides, store and pipeline module come from. */
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

/** What the engine needs of any run configuration: its name and per-node parameter overrides. */
export interface EngineConfig {
  name: string;
  stages: Record<string, Record<string, unknown>>;
  /** Who runs sharded stages (engine/executor.ts); not part of any key. */
  executor?: ExecutorConfig;
}

/** A schema that validates a config file's JSON into a config the engine can run. */
export type ConfigSchema<C extends EngineConfig = EngineConfig> = z.ZodType<C>;

/**
 * What a pipeline module exports: the schema of its run configuration
 * (`config`) and, as default, the function that builds its DAG from a
 * validated one.
 */
export interface PipelineModule<C extends EngineConfig = EngineConfig> {
  config: ConfigSchema<C>;
  default: (config: C) => Pipeline;
}

/** Everything one command needs, loaded once: config, pipeline, parameters, store, hashers, previous run. */
export interface Session {
  config: EngineConfig;
  pipeline: Pipeline;
  params: Map<string, Record<string, unknown>>;
  store: Store;
  code: CodeHasher;
  digests: DigestCache;
  previous: RunRecord | null;
}

/** A config file validated by `schema`; no file means the schema's defaults. */
export async function loadConfig<C extends EngineConfig>(
  path: string | undefined,
  schema: ConfigSchema<C>,
): Promise<C> {
  if (!path) return schema.parse({});
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
    raw = JSON.parse(stripJsonComments(text));
  } catch (e) {
    throw new DissectError("CONFIG", `${path}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys : [];
    const field = [...issue.path, ...keys].join(".") || "(top level)";
    throw new DissectError("CONFIG", `${path}: ${field}: ${issue.message}`);
  }
  return parsed.data;
}

/** Loads the pipeline module, validates the config with its schema, and builds the DAG. */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const modulePath = resolve(opts.pipelineModule ?? `${PROJECT_ROOT}/pipeline.ts`);
  const mod = await import(toFileUrl(modulePath)) as Partial<PipelineModule>;
  if (typeof mod.default !== "function" || !mod.config) {
    throw new DissectError(
      "CONFIG",
      `${modulePath} is not a pipeline module: it must export its config schema as "config" ` +
        "and the function that builds the pipeline as default",
    );
  }
  const config = await loadConfig(opts.configPath, mod.config);
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

/** Plans a session (rehashing reused artifacts with `verify`) and saves the digest cache. */
export async function planSession(s: Session, verify = false): Promise<PlannedNode[]> {
  const planned = await plan({ ...s, verify });
  await s.digests.save().catch(() => {}); // read-only commands may lack a store folder
  return planned;
}
