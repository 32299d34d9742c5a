/**
 * Final parameters of every node: the stage's zod defaults, then the values
 * the pipeline sets, then the config's `stages` section, then `--set`.
 * Validation errors name the exact field: `stages.<node>.<param>`.
 */
import type { z } from "zod";
import type { Pipeline } from "./dag.ts";
import { DissectError } from "./errors.ts";

/** One `node.param = value` override, from the config or --set. */
export interface Override {
  node: string;
  param: string;
  value: unknown;
  source: string;
}

/** Parse `--set node.param=value`; the value is JSON when it parses as JSON. */
export function parseSet(arg: string): Override {
  const m = /^([a-z][a-z0-9-]*)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
  if (!m) {
    throw new DissectError(
      "CONFIG",
      `--set ${arg}: expected STAGE.PARAM=VALUE`,
      "for example --set quantile.q=0.005",
    );
  }
  let value: unknown = m[3];
  try {
    value = JSON.parse(m[3]);
  } catch { /* a plain string */ }
  return { node: m[1], param: m[2], value, source: `--set ${arg}` };
}

/** The config's `stages` section as overrides. */
export function configOverrides(
  stages: Record<string, Record<string, unknown>>,
): Override[] {
  return Object.entries(stages).flatMap(([node, params]) =>
    Object.entries(params).map(([param, value]) => ({
      node,
      param,
      value,
      source: `config stages.${node}.${param}`,
    }))
  );
}

/** Every node's final parameters: stage defaults, then the pipeline's values, then overrides, validated. */
export function resolveParams(
  pipeline: Pipeline,
  overrides: Override[],
): Map<string, Record<string, unknown>> {
  const raw = new Map<string, Record<string, unknown>>();
  for (const node of pipeline.ordered()) raw.set(node.id, { ...node.params });
  for (const o of overrides) {
    const params = raw.get(o.node);
    if (!params) {
      throw new DissectError(
        "CONFIG",
        `${o.source}: unknown stage "${o.node}"`,
        `known stages: ${[...raw.keys()].join(", ")}`,
      );
    }
    params[o.param] = o.value;
  }
  const out = new Map<string, Record<string, unknown>>();
  for (const node of pipeline.ordered()) {
    const schema = node.stage.params as z.ZodObject;
    const parsed = schema.strict().safeParse(raw.get(node.id));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue.path.length ? issue.path.join(".") : "";
      const keys = issue.code === "unrecognized_keys"
        ? (issue as { keys: string[] }).keys.join(", ")
        : "";
      const field = `stages.${node.id}${path ? "." + path : keys ? "." + keys : ""}`;
      throw new DissectError(
        "CONFIG",
        `${field}: ${issue.message}`,
        `parameters of ${node.id} (stage ${node.stage.name}): ${
          Object.keys(schema.shape).join(", ")
        }`,
      );
    }
    out.set(node.id, parsed.data as Record<string, unknown>);
  }
  return out;
}
