import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import {
  ActivationReader,
  type Activations,
  layerFile,
  type LayerShape,
  writeActivationsMeta,
} from "./activations.ts";
import {
  activationBytes,
  type ForwardRun,
  openActivations,
  RecomputingActivations,
  storedLayers,
} from "./recompute.ts";

const SHAPES: LayerShape[] = [
  { layer: "big", units: 2, height: 2, width: 2 },
  { layer: "small", units: 3, height: 1, width: 1 },
];
const COUNT = 7;

/** Item i's activation of a layer: distinct numbers, so a misplaced row shows. */
function value(layer: number, image: number, k: number): number {
  return layer * 1000 + image * 10 + k;
}

function expected(shape: LayerShape, start: number, end: number): Float32Array {
  const per = shape.units * shape.height * shape.width, k = SHAPES.indexOf(shape);
  return Float32Array.from(
    { length: (end - start) * per },
    (_, j) => value(k, start + Math.floor(j / per), j % per),
  );
}

/** A stand-in forward pass over COUNT items: every layer, for items [start, end). */
function fakeForward(runs: [number, number][]): ForwardRun {
  return {
    count: COUNT,
    run(start, end) {
      runs.push([start, end]);
      return Promise.resolve(
        SHAPES.map((s) => ({ ...s, data: expected(s, start, end) })),
      );
    },
    release: () => Promise.resolve(),
  };
}

/** An activations folder, new under `root`, holding the `stored` layers of SHAPES. */
async function storedDir(root: string, stored: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: root, prefix: "dissect-test-" });
  for (const s of SHAPES.filter((s) => stored.includes(s.layer))) {
    const bytes = expected(s, 0, COUNT);
    await Deno.writeFile(join(dir, layerFile(s.layer)), new Uint8Array(bytes.buffer));
  }
  await writeActivationsMeta(dir, { count: COUNT, layers: SHAPES, stored });
  return dir;
}

/** What every Activations must do, whatever it reads from. */
async function contract(name: string, open: () => Promise<Activations>, stored: string[]) {
  const acts = await open();
  try {
    assertEquals(acts.meta.count, COUNT, name);
    assertEquals(acts.shape("small"), SHAPES[1], name);
    // Ranges inside, across and at the ends of batches; layers in the order asked.
    for (const [start, end] of [[0, 7], [0, 1], [2, 5], [3, 6], [6, 7], [1, 1]]) {
      const [small, big] = await acts.read(["small", "big"], start, end);
      assertEquals(small, expected(SHAPES[1], start, end), `${name}: small [${start}, ${end})`);
      assertEquals(big, expected(SHAPES[0], start, end), `${name}: big [${start}, ${end})`);
    }
    // Into buffers long enough: their fronts are used (stored layers) or a computed batch is
    // handed out as it is (no copy); too short: never written.
    const long = new Float32Array(100), short = new Float32Array(2);
    const [a, b] = await acts.read(["big", "small"], 1, 3, [long, short]);
    if (stored.includes("big")) {
      assert(a.buffer === long.buffer, `${name}: a long buffer is filled`);
    }
    assert(b.buffer !== short.buffer, `${name}: a short buffer is not`);
    assertEquals(short, new Float32Array(2), `${name}: a short buffer is left as it was`);
    assertEquals(a, expected(SHAPES[0], 1, 3));
    assertEquals(b, expected(SHAPES[1], 1, 3));
    let message = "";
    try {
      acts.shape("nope");
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes('"nope"'), `${name}: ${message}`);
  } finally {
    await acts.close();
  }
}

Deno.test("every kind of activations reads the same numbers: stored, all computed again, or some of each", async () => {
  await using tmp = await scratchDir();
  const all = SHAPES.map((s) => s.layer);
  await contract("stored", async () => new ActivationReader(await storedDir(tmp.path, all)), all);
  for (const stored of [[], ["small"], ["big"]]) {
    for (const grid of [1, 3, 7, 10]) {
      await contract(
        `stored ${stored}, grid ${grid}`,
        async () =>
          new RecomputingActivations(
            new ActivationReader(await storedDir(tmp.path, stored)),
            fakeForward([]),
            grid,
          ),
        stored,
      );
    }
  }
});

Deno.test("recomputing runs the forward pass on the stage's grid, each batch once when read in order", async () => {
  await using tmp = await scratchDir();
  const runs: [number, number][] = [];
  const acts = new RecomputingActivations(
    new ActivationReader(await storedDir(tmp.path, ["small"])),
    fakeForward(runs),
    3,
  );
  for (const [start, end] of [[0, 2], [2, 4], [4, 7]]) await acts.read(["big"], start, end);
  assertEquals(runs, [[0, 3], [3, 6], [6, 7]]);
  // A stored layer alone runs nothing.
  await acts.read(["small"], 0, 7);
  assertEquals(runs.length, 3);
  assertEquals(acts.batchesRun, 3);
});

Deno.test("a stored reader refuses a layer that was not stored, pointing at recomputation", async () => {
  await using tmp = await scratchDir();
  const reader = new ActivationReader(await storedDir(tmp.path, ["small"]));
  let message = "";
  try {
    reader.readLayer("big", 0, 1);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(/"big" .* was not stored/.test(message), message);
});

Deno.test("the disk budget stores every layer when all fit, else none", () => {
  const layers: LayerShape[] = [
    { layer: "a", units: 4, height: 4, width: 4 }, // 256 B an image, 2560 B for 10
    { layer: "b", units: 1, height: 2, width: 2 }, // 16 B
    { layer: "c", units: 2, height: 2, width: 2 }, // 32 B
    { layer: "d", units: 1, height: 2, width: 2 }, // 16 B
  ];
  assertEquals(activationBytes(layers, 10), 3200);
  assertEquals(storedLayers(layers, 10, 0), []);
  assertEquals(storedLayers(layers, 10, 3199), []);
  assertEquals(storedLayers(layers, 10, 3200), ["a", "b", "c", "d"]);
});

/** An artifact reference with just what openActivations reads. */
function ref(dir: string, over: { data?: string; files?: Record<string, string> } = {}) {
  return {
    node: "activations-val",
    dir,
    key: "acts",
    manifest: {
      inputNodes: { data: "world-val" },
      filePaths: over.files ?? {},
      keyParts: {
        params: { model: "m.onnx", layers: ["big", "small"] },
        inputs: { data: over.data ?? "val-key" },
        files: { model: "0".repeat(64) },
      },
    },
  } as unknown as ArtifactRef;
}

Deno.test("recomputing refuses another data set than the activations were taken of, or a changed model", async () => {
  await using tmp = await scratchDir();
  const dir = await storedDir(tmp.path, ["small"]);
  // All stored: nothing is recomputed, so nothing else is read.
  const all = await openActivations(
    ref(await storedDir(tmp.path, ["big", "small"])),
    undefined,
    1,
    "x",
  );
  assert(all instanceof ActivationReader);
  const other = { node: "images-val", key: "other-key", dir } as unknown as ArtifactRef;
  await assertRejects(
    () => openActivations(ref(dir), other, 1, "iou-val"),
    (e) =>
      assert(
        /taken of \(world-val\), but iou-val reads images-val/.test((e as Error).message),
        (e as Error).message,
      ),
  );
  const model = join(dir, "m.onnx");
  await Deno.writeTextFile(model, "not the model it was");
  const data = { node: "world-val", key: "val-key", dir } as unknown as ArtifactRef;
  await assertRejects(
    () => openActivations(ref(dir, { files: { model } }), data, 1, "iou-val"),
    (e) =>
      assert(/changed since activations-val ran/.test((e as Error).message), (e as Error).message),
  );
});
