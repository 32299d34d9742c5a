/**
 * The pipeline as data: nodes are stage instances with their parameters and
 * the upstream nodes feeding their input slots. Nodes can only name nodes
 * added before them, so the insertion order is already topological and a
 * cycle cannot be written down.
 */
import type { z } from "zod";
import type { AnyStage, StageDef, TableSchemas } from "./stage.ts";
import { DissectError } from "./errors.ts";

/** A node of the pipeline: a stage, its parameters and its upstream nodes by input slot. */
export interface NodeSpec {
  id: string;
  stage: AnyStage;
  /** Parameter values set by the pipeline (over the stage's defaults). */
  params: Record<string, unknown>;
  /** input slot -> upstream node id */
  inputs: Record<string, string>;
}

/**
 * Parameters and inputs of a node being added: parameters of its stage (any
 * subset, checked again with defaults when resolved) and one upstream node
 * per input slot.
 */
export type AddOptions<P = Record<string, unknown>, I extends string = string> =
  & { params?: Partial<P> }
  & ([I] extends [never] ? { inputs?: Record<string, never> } : { inputs: Record<I, string> });

/**
 * A check across nodes, run before anything runs when any of `nodes` would:
 * what no single stage can check from its own parameters (a data set's
 * classes against the model that will read them). Throws a DissectError.
 */
export interface PipelineCheck {
  nodes: readonly string[];
  /** `params(id)`: a node's parameters as the run resolves them (with config and --set overrides). */
  run: (params: (id: string) => Record<string, unknown>) => Promise<void>;
}

/** The DAG of stage nodes, in the order they were added (inputs first). */
export class Pipeline {
  readonly nodes = new Map<string, NodeSpec>();
  readonly checks: PipelineCheck[] = [];

  /** Add a node; returns its id, to be used as another node's input. */
  add<S extends z.ZodObject, I extends string, T extends TableSchemas>(
    id: string,
    stage: StageDef<S, I, T>,
    ...[opts]: [I] extends [never] ? [AddOptions<z.input<S>, I>?] : [AddOptions<z.input<S>, I>]
  ): string {
    opts ??= {} as AddOptions<z.input<S>, I>;
    if (!/^[a-z][a-z0-9-]*$/.test(id)) {
      throw new DissectError("PIPELINE", `node id "${id}" must be kebab-case`);
    }
    if (this.nodes.has(id)) {
      throw new DissectError("PIPELINE", `node "${id}" is defined twice`);
    }
    const inputs: Record<string, string> = opts.inputs ?? {};
    for (const [slot, upstream] of Object.entries(inputs)) {
      if (!this.nodes.has(upstream)) {
        throw new DissectError(
          "PIPELINE",
          `node "${id}" input "${slot}" names unknown node "${upstream}"`,
        );
      }
    }
    if (stage.inputs !== "*") {
      const want = [...stage.inputs].sort().join(",");
      const got = Object.keys(inputs).sort().join(",");
      if (want !== got) {
        throw new DissectError(
          "PIPELINE",
          `node "${id}" (stage ${stage.name}) needs inputs [${want}], got [${got}]`,
        );
      }
    }
    this.nodes.set(id, {
      id,
      stage: stage as AnyStage,
      params: (opts.params ?? {}) as Record<string, unknown>,
      inputs,
    });
    return id;
  }

  /** Adds a check to run before any of `nodes` runs (none: the check is dropped). */
  check(nodes: readonly string[], run: PipelineCheck["run"]): void {
    for (const id of nodes) this.get(id);
    if (nodes.length) this.checks.push({ nodes, run });
  }

  /** Nodes in an order where every node comes after its inputs. */
  ordered(): NodeSpec[] {
    return [...this.nodes.values()];
  }

  get(id: string): NodeSpec {
    const node = this.nodes.get(id);
    if (!node) {
      throw new DissectError(
        "CONFIG",
        `unknown stage "${id}"`,
        `known stages: ${[...this.nodes.keys()].join(", ")}`,
      );
    }
    return node;
  }

  /** The node and everything it needs, transitively. */
  closure(id: string): Set<string> {
    const out = new Set<string>();
    const visit = (n: string) => {
      if (out.has(n)) return;
      out.add(n);
      for (const up of Object.values(this.get(n).inputs)) visit(up);
    };
    visit(id);
    return out;
  }
}
