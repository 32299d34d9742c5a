/**
 * The reproduction, as a DAG of stages. Read top to bottom, it is the
 * methods section of the paper: which data, which models, which measurements,
 * feeding which claims. Node ids are what --set, --only and --force name.
 */
import { Pipeline } from "./engine/dag.ts";
import type { RunConfig } from "./schemas/config.ts";
import report from "./stages/report.ts";

export default function pipeline(config: RunConfig): Pipeline {
  const p = new Pipeline();
  void config;

  // The report reads every table of the run: one page per claim of claims.md.
  const all = Object.fromEntries([...p.nodes.keys()].map((id) => [id, id]));
  p.add("report", report, { inputs: all });
  return p;
}
