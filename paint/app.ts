/**
 * What the paint page paints with, found in the store: the latest run of the
 * config, its generated samples (gan-church: the generator file and the
 * latents), thresholds (quantile-gan) and dissection (iou-gan). Nothing is
 * recomputed; if the run is missing, the user is told to make it.
 */
import { DissectError } from "../engine/errors.ts";
import { loadConfig } from "../engine/session.ts";
import { RunConfig } from "../schemas/config.ts";
import { useExecutionProviders } from "../onnx/providers.ts";
import { Store } from "../engine/store.ts";
import { DigestCache } from "../engine/file_digest.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import { buildPalette, PALETTE_DEFAULTS } from "./palette.ts";
import { Painter } from "./painter.ts";
import { allCores } from "../onnx/model.ts";

/** The pipeline nodes (pipeline.ts) the page reads. */
export const PAINT_NODES = {
  gan: "gan-church",
  thresholds: "quantile-gan",
  dissection: "iou-gan",
} as const;

const REPRODUCE = "run `deno task reproduce` first: it dissects the generator the page paints with";

/** What the paint server serves from: the painter, its layer and the run it reads. */
export interface PaintApp {
  painter: Painter;
  layer: string;
  /** The run the palette comes from. */
  run: { config: string; runId: string; store: string };
}

/** Opens the latest run's generator dissection for painting; says to run reproduce first when it is missing. */
export async function openPaintApp(opts: {
  store?: string;
  configPath?: string;
  boost?: number;
}): Promise<PaintApp> {
  const config = await loadConfig(opts.configPath, RunConfig);
  // The page's generator and segmenter run where the config's models run.
  useExecutionProviders(config.executionProviders);
  const store = new Store(opts.store ?? "artifacts");
  const run = await store.latestRun(config.name);
  if (!run) {
    throw new DissectError("DATA", `no run of config "${config.name}" in ${store.root}`, REPRODUCE);
  }
  const refs = {} as Record<keyof typeof PAINT_NODES, ArtifactRef>;
  for (const [slot, node] of Object.entries(PAINT_NODES) as [keyof typeof PAINT_NODES, string][]) {
    const n = run.nodes.find((r) => r.node === node);
    const done = n && (n.status === "executed" || n.status === "cached");
    if (!done || !(await store.has(n.stage, n.key))) {
      throw new DissectError(
        "DATA",
        `the latest run of "${config.name}" in ${store.root} has no result of ${node}` +
          (n ? ` (${n.status})` : ""),
        REPRODUCE,
      );
    }
    refs[slot] = await store.ref(n.stage, n.key, node);
  }
  const generator = refs.gan.manifest.filePaths.model;
  const recorded = refs.gan.manifest.keyParts.files.model;
  const digest = await (await DigestCache.open(null)).digest(generator, PAINT_NODES.gan);
  if (digest !== recorded) {
    throw new DissectError(
      "INPUT_CHANGED",
      `${generator} changed since the run that dissected it`,
      "run `deno task reproduce` again, so that the palette describes this generator",
    );
  }
  const layer = config.gan.editLayer;
  const palette = await buildPalette(refs.dissection, refs.thresholds, {
    layer,
    ...PALETTE_DEFAULTS,
  });
  const painter = await Painter.open({
    generator,
    file: generator,
    latents: refs.gan.file("latents.f32"),
    layer,
    palette,
    boost: opts.boost,
    // The page's server runs alone: every core.
    threads: allCores(),
  });
  return { painter, layer, run: { config: config.name, runId: run.runId, store: store.root } };
}
