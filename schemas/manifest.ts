/** What every published artifact records about how it was made. */
import { z } from "zod";

/** What a key is the hash of: stage, parameters, input keys, code and file digests. */
export const KeyParts = z.object({
  stage: z.string(),
  params: z.record(z.string(), z.unknown()),
  /** input slot -> key of the upstream artifact */
  inputs: z.record(z.string(), z.string()),
  /** project-relative module path -> sha256 */
  code: z.record(z.string(), z.string()),
  /** bare specifier -> pinned npm target */
  packages: z.record(z.string(), z.string()),
  /** file slot -> sha256 of the file (or folder) read */
  files: z.record(z.string(), z.string()),
});
/** The parts of a key. */
export type KeyParts = z.infer<typeof KeyParts>;

/** An artifact's manifest.json: its key parts, tables, timings and tools. */
export const Manifest = z.object({
  format: z.literal("dissect-artifact/2"),
  node: z.string(),
  stage: z.string(),
  key: z.string(),
  keyParts: KeyParts,
  /** upstream node of each input slot */
  inputNodes: z.record(z.string(), z.string()),
  /** file slot -> path as configured */
  filePaths: z.record(z.string(), z.string()),
  started: z.string(),
  ended: z.string(),
  durationMs: z.number(),
  /** table name -> row count */
  tables: z.record(z.string(), z.number()),
  tools: z.record(z.string(), z.string()),
  /** Every file of the artifact but the manifest: relative path -> size and sha256. */
  files: z.record(z.string(), z.object({ size: z.number(), sha256: z.string() })),
});
/** A parsed manifest. */
export type Manifest = z.infer<typeof Manifest>;

/** One `reproduce` invocation, as recorded under artifacts/runs/. */
export const RunRecord = z.object({
  format: z.literal("dissect-run/1"),
  runId: z.string(),
  config: z.string(),
  started: z.string(),
  ended: z.string(),
  ok: z.boolean(),
  nodes: z.array(z.object({
    node: z.string(),
    stage: z.string(),
    key: z.string(),
    status: z.enum(["executed", "cached", "failed", "skipped"]),
    durationMs: z.number(),
    error: z.string().optional(),
    /** The error's code (engine/errors.ts) when it failed with one. */
    code: z.string().optional(),
  })),
  /** Why the command failed after its stages (the catalog or the report link), if it did. */
  error: z.string().optional(),
});
/** A parsed run record. */
export type RunRecord = z.infer<typeof RunRecord>;
